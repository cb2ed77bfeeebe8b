package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Headers the shim owns on every request to the sidecar (docs/sidecar-protocol.md).
const (
	headerUserID       = "X-Mattermost-UserID"
	headerPluginCaller = "X-Mattermost-Plugin-Caller"
)

// maxSidecarAnswer bounds how much of a hook answer the shim reads.
const maxSidecarAnswer = 1 << 20

// internalRoutesLabel is the HMAC message that derives the internal credential from the secret.
const internalRoutesLabel = "mattermost-mcp internal routes v1"

// internalCredential is what opens the sidecar's internal routes (/hooks/*, /healthz, /metrics):
// hex(HMAC-SHA256(key = secret, message = internalRoutesLabel)). The proxy always sends the secret
// itself, so no request Mattermost hands the shim can carry this value (docs/sidecar-protocol.md).
func internalCredential(secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(internalRoutesLabel))
	return hex.EncodeToString(mac.Sum(nil))
}

// sidecarClient reaches the sidecar at one address (`unix:/path` or `http(s)://host:port`). Proxied
// requests carry the secret (proxy.go); the shim's own hook and health requests carry the internal
// credential derived from it.
type sidecarClient struct {
	baseURL   *url.URL
	transport http.RoundTripper
	secret    string
	internal  string
	hooks     *http.Client
}

func newSidecarClient(address, secret string) (*sidecarClient, error) {
	baseURL, transport, err := sidecarTransport(address)
	if err != nil {
		return nil, err
	}
	return &sidecarClient{
		baseURL:   baseURL,
		transport: transport,
		secret:    secret,
		internal:  internalCredential(secret),
		hooks:     &http.Client{Transport: transport, Timeout: 30 * time.Second},
	}, nil
}

// sidecarTransport turns the address into the URL requests are built on and a transport that
// dials it. A unix address gets a placeholder host: only the socket path matters.
func sidecarTransport(address string) (*url.URL, http.RoundTripper, error) {
	if socketPath, ok := strings.CutPrefix(address, "unix:"); ok {
		if socketPath == "" {
			return nil, nil, errors.New("sidecar address unix: needs a socket path")
		}
		dialer := &net.Dialer{Timeout: 5 * time.Second}
		transport := &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, "unix", socketPath)
			},
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
		}
		return &url.URL{Scheme: "http", Host: "sidecar"}, transport, nil
	}
	parsed, err := url.Parse(address)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return nil, nil, fmt.Errorf("SidecarURL must be an http(s)://host:port URL or unix:/path, got %q", address)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // the sidecar is ours: never route it through an outbound proxy
	transport.MaxIdleConnsPerHost = 16
	return parsed, transport, nil
}

// url builds the absolute URL of a sidecar path.
func (c *sidecarClient) url(path string) string {
	u := *c.baseURL
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	return u.String()
}

// healthy asks GET /healthz once.
func (c *sidecarClient) healthy(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/healthz"), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.internal)
	res, err := c.hooks.Do(req)
	if err != nil {
		return err
	}
	defer drain(res)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %d", res.StatusCode)
	}
	return nil
}

// waitHealthy polls /healthz until it answers 200, ctx ends, or gaveUp is closed (the child died).
func (c *sidecarClient) waitHealthy(ctx context.Context, every time.Duration, gaveUp <-chan struct{}) error {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		err := c.healthy(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the sidecar did not answer /healthz in time: %w", err)
		case <-gaveUp:
			return errors.New("the sidecar exited before answering /healthz")
		case <-ticker.C:
		}
	}
}

// hookError is a 4xx answer to a hook: the sidecar refused the request and said why.
type hookError struct {
	Status  int
	Message string
}

func (e *hookError) Error() string { return e.Message }

// postHook sends `POST /hooks/<name>` with a JSON body and decodes a 200 answer into answer (if
// not nil). userID, when set, becomes X-Mattermost-UserID.
func (c *sidecarClient) postHook(ctx context.Context, name, userID string, body, answer any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/hooks/"+name), bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.internal)
	if userID != "" {
		req.Header.Set(headerUserID, userID)
	}
	res, err := c.hooks.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer drain(res)
	data, err := io.ReadAll(io.LimitReader(res.Body, maxSidecarAnswer))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", name, err)
	}
	if res.StatusCode >= 400 && res.StatusCode < 500 {
		return &hookError{Status: res.StatusCode, Message: errorMessage(data, res.StatusCode)}
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: the sidecar answered %d", name, res.StatusCode)
	}
	if answer == nil {
		return nil
	}
	if err := json.Unmarshal(data, answer); err != nil {
		return fmt.Errorf("%s: decode answer: %w", name, err)
	}
	return nil
}

// errorMessage reads `{"error": "..."}`, falling back to the status.
func errorMessage(data []byte, status int) string {
	var body struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error != "" {
		return body.Error
	}
	return fmt.Sprintf("the MCP sidecar refused the request (%d)", status)
}

// drain reads the rest of a bounded answer and closes it, so its connection can be reused.
func drain(res *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxSidecarAnswer))
	_ = res.Body.Close()
}
