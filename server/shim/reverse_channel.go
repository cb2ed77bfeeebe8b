package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
)

// maxReverseBody bounds a request body on the reverse channel.
const maxReverseBody = 1 << 20

// eventName keeps custom WebSocket event names to what a webapp handler can register.
var eventName = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

// reverseChannel serves the sidecar's calls back into Mattermost (docs/sidecar-protocol.md,
// "Reverse channel") on a 0600 unix socket.
type reverseChannel struct {
	server *http.Server
	path   string
	done   chan struct{}
}

func startReverseChannel(api plugin.API, socketPath, secret, botID string, bridge func() bridgeStatus) (*reverseChannel, error) {
	_ = os.Remove(socketPath) // left by a previous activation that did not stop cleanly
	//nolint:noctx // a socket path: nothing to resolve, so nothing to cancel
	listener, err := net.Listen("unix", socketPath)
	if err != nil {
		return nil, fmt.Errorf("listen on the reverse channel socket: %w", err)
	}
	if err := os.Chmod(socketPath, 0o600); err != nil {
		_ = listener.Close()
		return nil, fmt.Errorf("restrict the reverse channel socket: %w", err)
	}
	rc := &reverseChannel{
		server: &http.Server{
			Handler:           requireSecret(secret, reverseRoutes(api, botID, bridge)),
			ReadHeaderTimeout: 10 * time.Second,
		},
		path: socketPath,
		done: make(chan struct{}),
	}
	go func() {
		defer close(rc.done)
		if err := rc.server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			api.LogError("The MCP reverse channel stopped", "error", err.Error())
		}
	}()
	return rc, nil
}

func (rc *reverseChannel) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if rc.server.Shutdown(ctx) != nil {
		_ = rc.server.Close()
	}
	<-rc.done
	_ = os.Remove(rc.path)
}

// requireSecret answers 401 to any request without `Authorization: Bearer <secret>`.
func requireSecret(secret string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bearerMatches(r, secret) {
			writeJSONError(w, http.StatusUnauthorized, "missing or wrong sidecar secret")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func reverseRoutes(api plugin.API, botID string, bridge func() bridgeStatus) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/websocket-event", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Event   string         `json:"event"`
			Payload map[string]any `json:"payload"`
			UserID  string         `json:"userId"`
		}
		if !decodeBody(w, r, &body) {
			return
		}
		if !eventName.MatchString(body.Event) || body.UserID == "" {
			writeJSONError(w, http.StatusBadRequest, `need "event" ([a-z0-9_]) and "userId": events go to one user`)
			return
		}
		if body.Payload == nil {
			body.Payload = map[string]any{}
		}
		api.PublishWebSocketEvent(body.Event, body.Payload, &model.WebsocketBroadcast{UserId: body.UserID})
		writeJSON(w, http.StatusOK, map[string]any{})
	})
	mux.HandleFunc("POST /api/v1/ephemeral-post", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			UserID string `json:"userId"`
			Post   struct {
				ChannelID string `json:"channel_id"`
				RootID    string `json:"root_id"`
				Message   string `json:"message"`
			} `json:"post"`
		}
		if !decodeBody(w, r, &body) {
			return
		}
		if body.UserID == "" || body.Post.ChannelID == "" || body.Post.Message == "" {
			writeJSONError(w, http.StatusBadRequest, `need "userId", "post.channel_id" and "post.message"`)
			return
		}
		post := api.SendEphemeralPost(body.UserID, &model.Post{
			UserId:    botID,
			ChannelId: body.Post.ChannelID,
			RootId:    body.Post.RootID,
			Message:   body.Post.Message,
		})
		postID := ""
		if post != nil {
			postID = post.Id
		}
		writeJSON(w, http.StatusOK, map[string]string{"postId": postID})
	})
	mux.HandleFunc("GET /api/v1/bot", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"userId": botID})
	})
	mux.HandleFunc("GET /api/v1/agents-bridge", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, bridge())
	})
	return mux
}

func decodeBody(w http.ResponseWriter, r *http.Request, dest any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxReverseBody)).Decode(dest); err != nil {
		writeJSONError(w, http.StatusBadRequest, "the body is not valid JSON")
		return false
	}
	return true
}
