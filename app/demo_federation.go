package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// demoInstance is one instance of the demonstration federation.
type demoInstance struct {
	name      string
	countries []string // whose demo organisations it holds
}

// The federation of dmf demo -federation: two ministries' instances, one
// for Kazakhstan and one for Uzbekistan, and ESCAP's regional hub with
// the other demo countries of its own.
var demoFederation = []demoInstance{
	{"kaz", []string{"KAZ"}},
	{"uzb", []string{"UZB"}},
	{"hub", []string{"KGZ", "ARM", "MNG"}},
}

// demoFederationCommand runs three instances on three loopback ports, each
// with its own database and keys under -dir, trusting one another from
// the start (DMF_PEERS): the national ones issue cards, every one
// witnesses the others' logs, and the hub pulls the national cards into
// its comparison. It serves until ctx ends.
func demoFederationCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo -federation", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Bool("federation", true, "start a federation of three instances")
	dir := fs.String("dir", "dmf-federation", "directory of the three instances' databases and keys")
	addrList := fs.String("addrs", "127.0.0.1:8081,127.0.0.1:8082,127.0.0.1:8083", "the loopback addresses of the KAZ, UZB and hub instances")
	if err := fs.Parse(args); err != nil {
		return err
	}
	addrs := strings.Split(*addrList, ",")
	if len(addrs) != len(demoFederation) || fs.NArg() > 0 {
		return fmt.Errorf("-addrs must list %d addresses, such as 127.0.0.1:8081,127.0.0.1:8082,127.0.0.1:8083", len(demoFederation))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out sync.Mutex // the instances print their accounts one block at a time
	started := make(chan int, len(demoFederation))
	servers := make([]*server, len(demoFederation))
	errc := make(chan error, len(demoFederation))
	for i, inst := range demoFederation {
		var others []string
		for j, a := range addrs {
			if j != i {
				others = append(others, "http://"+strings.TrimSpace(a))
			}
		}
		addr := strings.TrimSpace(addrs[i])
		cfg, err := loadConfig("serve", []string{
			"-addr", addr, "-base-url", "http://" + addr,
			"-database", filepath.Join(*dir, inst.name, "dmf.db"), "-data-dir", filepath.Join(*dir, inst.name),
			"-issuer-name", "DMF demo · " + strings.ToUpper(inst.name), "-admin-email", "admin@" + inst.name + ".demo.example",
			"-peers", strings.Join(others, ","), "-peer-sync", "30s", "-log-level", "warn",
		}, func(string) string { return "" }, stderr) // each instance its own settings, whatever the environment says
		if err != nil {
			return err
		}
		w := &lockedWriter{w: stdout, mu: &out}
		go func() {
			errc <- serveConfig(ctx, cfg, w, stderr, func(s *server) { servers[i] = s; started <- i })
		}()
	}
	for range demoFederation {
		select {
		case <-started:
		case err := <-errc:
			return err
		}
	}
	go func() {
		if err := demoFederationSeed(ctx, servers, stdout, &out); err != nil && ctx.Err() == nil {
			fmt.Fprintln(stderr, "demo federation:", err)
		}
	}()
	err := <-errc
	cancel()
	for range len(demoFederation) - 1 {
		if e := <-errc; err == nil {
			err = e
		}
	}
	return err
}

// demoFederationSeed waits until the instances trust one another, so
// that the checkpoints of the cards they issue are pushed to the other
// two witnesses, seeds each instance's countries, and has the hub pull the
// national cards as soon as they are witnessed.
func demoFederationSeed(ctx context.Context, servers []*server, stdout io.Writer, out *sync.Mutex) error {
	for _, s := range servers {
		for {
			ps, err := s.store.TrustedPeers(ctx)
			if err != nil {
				return err
			}
			if len(ps) == len(servers)-1 {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	for i, inst := range demoFederation {
		s := servers[i]
		out.Lock()
		fmt.Fprintf(stdout, "\n=== %s: %s (countries %s) ===\n", strings.ToUpper(inst.name), s.cfg.BaseURL, strings.Join(inst.countries, ", "))
		err := s.seedDemoOf(ctx, stdout, inst.countries)
		out.Unlock()
		if err != nil {
			return err
		}
	}
	hub := servers[len(servers)-1]
	// Pull at once rather than at the first DMF_PEER_SYNC: a sync stops at
	// a card whose checkpoint the witnesses have not cosigned yet.
	ps, err := hub.store.TrustedPeers(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		for range 60 {
			res, err := hub.hub.Sync(ctx, p.ID)
			if err == nil && res.Problem == "" {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
	out.Lock()
	fmt.Fprintf(stdout, "\nThe federation is up: the hub at %s/compare compares KAZ and UZB from their instances' verified cards beside its own countries.\n", hub.cfg.BaseURL)
	fmt.Fprintln(stdout, "Peers and witnesses: /admin/peers on each instance (sign in as its admin@demo.example).")
	out.Unlock()
	return nil
}

// lockedWriter lets the instances share the terminal line by line.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
