package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer the instances may write to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// dmf demo -federation starts two national instances and a hub that
// trust one another; soon the hub's public comparison shows KAZ and UZB
// from their instances' cards, each labelled with its source, and the
// command stops cleanly when asked.
func TestDemoFederation(t *testing.T) {
	addrs := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-federation", "-dir", t.TempDir(), "-addrs", strings.Join(addrs, ",")},
			func(string) string { return "" }, nil, &stdout, &stderr)
	}()
	hub := "http://" + addrs[2]
	deadline := time.Now().Add(2 * time.Minute)
	for {
		sources := map[string]string{}
		if resp, err := http.Get(hub + "/api/v1/compare"); err == nil {
			var c struct {
				Countries []struct {
					Code    string   `json:"code"`
					Sources []string `json:"sources"`
				} `json:"countries"`
			}
			json.NewDecoder(resp.Body).Decode(&c)
			resp.Body.Close()
			for _, row := range c.Countries {
				sources[row.Code] = strings.Join(row.Sources, " ")
			}
		}
		if sources["KAZ"] == "http://"+addrs[0] && sources["UZB"] == "http://"+addrs[1] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hub compares %v\nstdout:\n%s\nstderr:\n%s", sources, stdout.String(), stderr.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo -federation: %v", err)
	}
	for _, want := range []string{"=== KAZ: http://" + addrs[0], "=== HUB: " + hub, "The federation is up"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the output lacks %q", want)
		}
	}
}
