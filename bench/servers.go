package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// proc is a server running as a subprocess.
type proc struct {
	name string
	cmd  *exec.Cmd
	pid  int
	base string // http://127.0.0.1:PORT
	done chan struct{}
	mu   sync.Mutex
	log  []string // the last lines of stderr, for diagnostics
}

var bindRE = regexp.MustCompile(`bind=http://(127\.0\.0\.1:[0-9]+)`)

// startProc runs bin with args and exactly env (nothing inherited but
// PATH), pinned to cpus with taskset when cpus is not empty, and waits for
// its start-up line.
// Every stderr line is also written to logTo when it is not nil.
func startProc(name, bin string, args, env []string, cpus string, logTo io.Writer) (*proc, error) {
	argv := append([]string{bin}, args...)
	if cpus != "" {
		argv = append([]string{"taskset", "-c", cpus}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// taskset execs the server, so the pid is the server's.
	p := &proc{name: name, cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	bound := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if logTo != nil {
				fmt.Fprintln(logTo, line)
			}
			p.mu.Lock()
			if len(p.log) >= 50 {
				p.log = p.log[1:]
			}
			p.log = append(p.log, line)
			p.mu.Unlock()
			if m := bindRE.FindStringSubmatch(line); m != nil {
				select {
				case bound <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	select {
	case addr := <-bound:
		p.base = "http://" + addr
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before starting:\n%s", name, p.lastLog())
	case <-time.After(20 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s did not print its bind address within 20s:\n%s", name, p.lastLog())
	}
}

func (p *proc) lastLog() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.log, "\n")
}

// stop sends SIGTERM and waits (SIGKILL after 10 s).
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// memKB returns VmRSS and VmHWM of pid in KiB.
func memKB(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm, nil
}

// clockTick is USER_HZ, the unit of /proc/PID/stat times (100 on every
// Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// procCPU returns the user+system CPU time pid has used.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of the whole line.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("malformed /proc/PID/stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * clockTick, nil
}

// systemBusy returns the CPU time every CPU of the machine spent busy (user,
// nice, system, irq, softirq, steal), from /proc/stat.
func systemBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * clockTick
}

// selfCPU returns the harness's own user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// idp is the loopback identity provider the jwt and zscaler modes talk to:
// a JWKS with one ES256 key, and a client-credentials token endpoint. It
// runs in the harness process.
type idp struct {
	base      string // http://127.0.0.1:PORT
	srv       *http.Server
	key       *ecdsa.PrivateKey
	signer    jose.Signer
	jwks      []byte
	jwksCalls atomic.Int64
	tokCalls  atomic.Int64
	seq       atomic.Int64
}

const (
	jwtKID      = "bench-es256-1"
	jwtIssuer   = "https://idp.bench.test"
	jwtAudience = "zscaler-mcp-bench"
	jwtSubject  = "bench-user"
	zsIssuer    = "https://bench.zslogin.test"
	zsClientID  = "bench-client"
)

// zsSecret is the secret the fake token endpoint accepts for a client id.
func zsSecret(id string) string { return "bench-secret-" + id }

func startIdP() (*idp, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256,
		Key: jose.JSONWebKey{Key: key, KeyID: jwtKID, Algorithm: string(jose.ES256)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &key.PublicKey, KeyID: jwtKID, Algorithm: string(jose.ES256), Use: "sig",
	}}})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &idp{base: "http://" + ln.Addr().String(), key: key, signer: signer, jwks: jwks}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		p.jwksCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=3600")
		_, _ = w.Write(p.jwks)
	})
	mux.HandleFunc("POST /oauth2/v1/token", p.token)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *idp) close() { _ = p.srv.Close() }

// token answers a client-credentials request (credentials in the form body,
// as zscalerauth sends them) with a JWT-shaped access token.
func (p *idp) token(w http.ResponseWriter, r *http.Request) {
	p.tokCalls.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_request"}`)
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if id == "" || secret != zsSecret(id) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
		return
	}
	now := time.Now().Unix()
	claims, _ := json.Marshal(map[string]any{"iss": zsIssuer, "sub": id, "aud": "https://api.zscaler.com",
		"iat": now, "exp": now + 3600, "service-info": []any{}})
	enc := base64.RawURLEncoding
	tok := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString([]byte("not-a-signature"))
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
}

// mintJWT signs an ES256 access token for the jwt mode. Every call gives a
// different token (jti), all for the same subject.
func (p *idp) mintJWT() (string, error) {
	now := time.Now().Unix()
	claims, err := json.Marshal(map[string]any{
		"iss": jwtIssuer, "aud": jwtAudience, "sub": jwtSubject,
		"iat": now, "exp": now + 3600, "jti": fmt.Sprintf("bench-%d", p.seq.Add(1)),
	})
	if err != nil {
		return "", err
	}
	obj, err := p.signer.Sign(claims)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}
