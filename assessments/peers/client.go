// Package peers talks to other DMF instances: it fetches what a peer
// publishes (its DID document, log key and witness key) and pushes this
// log's checkpoints to the peers' witnesses from the domain's outbox.
// Every request goes to a peer's base URL and nowhere else (redirects are
// not followed), and is bounded in time and size.
package peers

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
)

// Client makes the outbound requests. Its zero value is usable.
type Client struct {
	// HTTP is the client requests go through; nil: one that never follows
	// redirects. Tests give one trusting their TLS server.
	HTTP *http.Client
	// Timeout bounds each request, connection included; default 10 s.
	Timeout time.Duration
	// MaxBytes bounds each answer; default 1 MiB (a DID document or a
	// checkpoint is a few kilobytes).
	MaxBytes int64
}

// Error is a peer that did not answer as a DMF instance should. Message
// says why, in words an admin can act on (and translate).
type Error struct {
	Message assessments.Message
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message.String() + ": " + e.Err.Error()
	}
	return e.Message.String()
}
func (e *Error) Unwrap() error { return e.Err }

// msg is a reason for an admin; the app translates its Format.
type msg = assessments.Message

func fail(err error, m msg) *Error { return &Error{Message: m, Err: err} }

func (c *Client) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 10 * time.Second
}

func (c *Client) maxBytes() int64 {
	if c.MaxBytes > 0 {
		return c.MaxBytes
	}
	return 1 << 20
}

// Response is a peer's answer, read whole within the size bound.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// do sends one request to base+path and reads the answer within the
// bounds, turning transport failures into an *Error saying which.
func (c *Client) do(ctx context.Context, method, base, path, contentType string, body []byte) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return nil, fail(err, msg{Format: "is not an address that can be requested"})
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "dmf-peer")
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes()+1))
	if err != nil {
		return nil, transportError(ctx, err)
	}
	if int64(len(data)) > c.maxBytes() {
		return nil, fail(nil, msg{Format: "answered %s with more than %d bytes", Args: []any{path, c.maxBytes()}})
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, fail(nil, msg{Format: "redirected %s elsewhere; peers are only asked at their own base URL", Args: []any{path}})
	}
	return &Response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: data}, nil
}

// transportError says why a request failed: too slow, TLS, or not
// reachable at all.
func transportError(ctx context.Context, err error) error {
	var (
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
	)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return fail(err, msg{Format: "did not answer in time"})
	case errors.As(err, &certErr) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) || errors.As(err, &record):
		return fail(err, msg{Format: "failed the TLS check (its certificate is not trusted for this address)"})
	default:
		return fail(err, msg{Format: "cannot be reached"})
	}
}

// getJSON reads a JSON document the peer must serve with 200.
func (c *Client) getJSON(ctx context.Context, base, path string, v any) (status int, err error) {
	r, err := c.do(ctx, http.MethodGet, base, path, "", nil)
	if err != nil {
		return 0, err
	}
	if r.Status != http.StatusOK {
		return r.Status, fail(nil, msg{Format: "is not a DMF instance: %s answered %d", Args: []any{path, r.Status}})
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return r.Status, fail(nil, msg{Format: "is not a DMF instance: %s is not the JSON a DMF instance serves", Args: []any{path}})
	}
	return r.Status, nil
}

// Fetch reads what the DMF instance at base publishes: its DID document,
// which must be that of the did:web its address implies, its log's origin
// and key, and its witness key (empty for an instance that has none).
func (c *Client) Fetch(ctx context.Context, base string) (assessments.PeerInfo, error) {
	info := assessments.PeerInfo{BaseURL: base}
	base, err := assessments.NormalizePeerURL(base)
	if err != nil {
		return info, err
	}
	info.BaseURL = base
	var log struct {
		Origin string `json:"origin"`
		VKey   string `json:"vkey"`
	}
	if _, err := c.getJSON(ctx, base, "/api/v1/log", &log); err != nil {
		return info, err
	}
	if log.Origin == "" || !strings.HasPrefix(log.VKey, log.Origin+"+") {
		return info, fail(nil, msg{Format: "is not a DMF instance: /api/v1/log names no log key of its origin"})
	}
	info.LogOrigin, info.LogKey = log.Origin, log.VKey
	r, err := c.do(ctx, http.MethodGet, base, "/.well-known/did.json", "", nil)
	if err != nil {
		return info, err
	}
	if r.Status != http.StatusOK {
		return info, fail(nil, msg{Format: "is not a DMF instance: /.well-known/did.json answered %d", Args: []any{r.Status}})
	}
	doc, err := card.ParseDIDDocument(r.Body)
	if err != nil {
		return info, fail(nil, msg{Format: "is not a DMF instance: its DID document cannot be read"})
	}
	want, _ := card.DIDWeb(base)
	if doc.ID != want {
		return info, fail(nil, msg{Format: "publishes the DID document of %s, which does not match its address (%s)", Args: []any{doc.ID, want}})
	}
	info.DIDDocument = r.Body
	var w struct {
		VKey string `json:"vkey"`
	}
	status, err := c.getJSON(ctx, base, "/api/v1/witness", &w)
	switch {
	case status == http.StatusNotFound:
		// An instance of a release without a witness: trusted for its
		// cards, not asked to cosign.
	case err != nil:
		return info, err
	default:
		info.WitnessKey = w.VKey
	}
	return info, nil
}

// practicesJSON is a page of a peer's GET /api/v1/practices: the fields
// the hub reads.
type practicesJSON struct {
	Items []struct {
		ID        uint     `json:"id"`
		Indicator string   `json:"indicator"`
		Title     string   `json:"title"`
		Summary   string   `json:"summary"`
		Links     []string `json:"links"`
		Contact   string   `json:"contact"`
		Level     int      `json:"level"`
		Language  string   `json:"language"`
		Source    string   `json:"source"`
		Card      *struct {
			ID string `json:"id"`
		} `json:"card"`
		Framework struct {
			ID      string `json:"id"`
			Version string `json:"version"`
		} `json:"framework"`
		PublishedAt *time.Time `json:"published_at"`
	} `json:"items"`
	Total int64 `json:"total"`
}

// Practices reads one page of the practices the peer at base published
// itself (those it has from its own peers are left out), each citing its
// card by the card's address. more says whether pages remain. An instance
// of a release without practices answers 404: it has none.
func (c *Client) Practices(ctx context.Context, base string, page, limit int) (out []assessments.PeerPractice, more bool, err error) {
	var pg practicesJSON
	status, err := c.getJSON(ctx, base, fmt.Sprintf("/api/v1/practices?page=%d&limit=%d", page, limit), &pg)
	if status == http.StatusNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	for _, p := range pg.Items {
		if p.Source != assessments.SourceLocal || p.Card == nil || p.Card.ID == "" || strings.ContainsAny(p.Card.ID, "/?#%") {
			continue
		}
		out = append(out, assessments.PeerPractice{
			ID: p.ID, CardID: base + "/cards/" + p.Card.ID, Indicator: p.Indicator, Title: p.Title, Summary: p.Summary,
			Contact: p.Contact, Links: p.Links, Language: p.Language, Level: p.Level,
			FrameworkID: p.Framework.ID, FrameworkVersion: p.Framework.Version, PublishedAt: p.PublishedAt,
		})
	}
	return out, len(pg.Items) == limit && int64(page*limit) < pg.Total, nil
}

// AddCheckpoint sends a C2SP tlog-witness add-checkpoint request to the
// witness of the peer at base and returns its answer as it is.
func (c *Client) AddCheckpoint(ctx context.Context, base string, body []byte) (*Response, error) {
	return c.do(ctx, http.MethodPost, base, "/api/v1/witness/add-checkpoint", "text/plain; charset=utf-8", body)
}

// String names the client's bounds, for logs.
func (c *Client) String() string {
	return fmt.Sprintf("timeout %s, at most %d bytes per answer", c.timeout(), c.maxBytes())
}
