package main

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"
	"github.com/stretchr/testify/mock"
)

const reverseSecret = "reverse-secret-0123456789"

func startTestReverseChannel(t *testing.T) (*plugintest.API, *http.Client, string) {
	t.Helper()
	api := plugintest.NewAPI(t)
	socket := shortTempDir(t) + "/shim.sock"
	rc, err := startReverseChannel(&testAPI{API: api}, socket, reverseSecret, testBotID, func() bridgeStatus { return bridgeStatus{State: bridgeRegistered} })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.close)
	return api, unixClient(socket), socket
}

func call(t *testing.T, client *http.Client, method, path, auth, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://shim"+path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data)
}

func TestReverseChannelRequiresTheSecret(t *testing.T) {
	_, client, socket := startTestReverseChannel(t)
	info, err := os.Stat(socket)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v %v, want 0600", info.Mode().Perm(), err)
	}
	for name, auth := range map[string]string{
		"no secret":       "",
		"wrong secret":    "Bearer " + reverseSecret + "x",
		"a prefix":        "Bearer " + reverseSecret[:10],
		"another scheme":  "Basic " + reverseSecret,
		"the bare secret": reverseSecret,
	} {
		t.Run(name, func(t *testing.T) {
			for _, route := range []struct{ method, path, body string }{
				{"GET", "/api/v1/bot", ""},
				{"POST", "/api/v1/websocket-event", `{"event":"x","userId":"u"}`},
				{"POST", "/api/v1/ephemeral-post", `{"userId":"u","post":{"channel_id":"c","message":"m"}}`},
			} {
				if status, _ := call(t, client, route.method, route.path, auth, route.body); status != http.StatusUnauthorized {
					t.Fatalf("%s %s answered %d", route.method, route.path, status)
				}
			}
		})
	}
	// The mock has no expectations: any PublishWebSocketEvent or SendEphemeralPost above would fail.
}

func TestReverseChannelPublishesWebSocketEvents(t *testing.T) {
	api, client, _ := startTestReverseChannel(t)
	api.On("PublishWebSocketEvent", "mcp_connection_updated",
		map[string]any{"serverName": "github", "connected": true, "tools": float64(3)},
		&model.WebsocketBroadcast{UserId: "alice"}).Return().Once()
	status, body := call(t, client, "POST", "/api/v1/websocket-event", "Bearer "+reverseSecret,
		`{"event":"mcp_connection_updated","payload":{"serverName":"github","connected":true,"tools":3},"userId":"alice"}`)
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}

	t.Run("refuses an event without a user: it would go to everyone", func(t *testing.T) {
		if status, _ := call(t, client, "POST", "/api/v1/websocket-event", "Bearer "+reverseSecret, `{"event":"x","payload":{}}`); status != http.StatusBadRequest {
			t.Fatalf("got %d", status)
		}
	})
	t.Run("refuses malformed JSON", func(t *testing.T) {
		if status, _ := call(t, client, "POST", "/api/v1/websocket-event", "Bearer "+reverseSecret, `{`); status != http.StatusBadRequest {
			t.Fatalf("got %d", status)
		}
	})
}

func TestReverseChannelSendsEphemeralPostsAsTheBot(t *testing.T) {
	api, client, _ := startTestReverseChannel(t)
	api.On("SendEphemeralPost", "alice", mock.MatchedBy(func(p *model.Post) bool {
		return p.UserId == testBotID && p.ChannelId == "town-square" && p.RootId == "root1" && p.Message == "Connect your account to github"
	})).Return(&model.Post{Id: "post1"}).Once()
	status, body := call(t, client, "POST", "/api/v1/ephemeral-post", "Bearer "+reverseSecret,
		`{"userId":"alice","post":{"channel_id":"town-square","root_id":"root1","message":"Connect your account to github"}}`)
	if status != http.StatusOK || !strings.Contains(body, `"postId":"post1"`) {
		t.Fatalf("%d %s", status, body)
	}
	if status, _ := call(t, client, "POST", "/api/v1/ephemeral-post", "Bearer "+reverseSecret, `{"userId":"alice","post":{}}`); status != http.StatusBadRequest {
		t.Fatalf("a post without channel or message got %d", status)
	}
}

func TestReverseChannelNamesTheBot(t *testing.T) {
	_, client, _ := startTestReverseChannel(t)
	status, body := call(t, client, "GET", "/api/v1/bot", "bearer "+reverseSecret, "")
	if status != http.StatusOK || strings.TrimSpace(body) != `{"userId":"`+testBotID+`"}` {
		t.Fatalf("%d %s", status, body)
	}
	if status, _ := call(t, client, "POST", "/api/v1/bot", "Bearer "+reverseSecret, ""); status != http.StatusMethodNotAllowed {
		t.Fatalf("POST /api/v1/bot got %d", status)
	}
}
