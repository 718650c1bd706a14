package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/apiserver/reqinfo"
)

// Config turns the audit log on.
type Config struct {
	// Path is the log file (JSON lines, appended); "" turns auditing off.
	Path string `yaml:"path"`
	// PolicyFile is a Policy in YAML; "": every request at Metadata.
	PolicyFile string `yaml:"policyFile"`
	// BufferSize is how many events may wait for the writer; beyond it
	// events are dropped (and counted) rather than slow requests down.
	BufferSize int `yaml:"bufferSize"`
}

// DefaultBufferSize is Kubernetes' --audit-log-batch-buffer-size.
const DefaultBufferSize = 10000

// MaxBodyBytes bounds the request and response bodies an event carries.
const MaxBodyBytes = 1 << 20

// Event is an audit.k8s.io/v1 Event.
type Event struct {
	Kind                     string            `json:"kind"`
	APIVersion               string            `json:"apiVersion"`
	Level                    Level             `json:"level"`
	AuditID                  string            `json:"auditID"`
	Stage                    Stage             `json:"stage"`
	RequestURI               string            `json:"requestURI"`
	Verb                     string            `json:"verb"`
	User                     UserInfo          `json:"user"`
	SourceIPs                []string          `json:"sourceIPs,omitempty"`
	UserAgent                string            `json:"userAgent,omitempty"`
	ObjectRef                *ObjectReference  `json:"objectRef,omitempty"`
	ResponseStatus           *ResponseStatus   `json:"responseStatus,omitempty"`
	RequestObject            json.RawMessage   `json:"requestObject,omitempty"`
	ResponseObject           json.RawMessage   `json:"responseObject,omitempty"`
	RequestReceivedTimestamp string            `json:"requestReceivedTimestamp"`
	StageTimestamp           string            `json:"stageTimestamp"`
	Annotations              map[string]string `json:"annotations,omitempty"`
}

// UserInfo is the event's user.
type UserInfo struct {
	Username string              `json:"username"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// ObjectReference names the object of a resource request.
type ObjectReference struct {
	Resource    string `json:"resource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Subresource string `json:"subresource,omitempty"`
}

// ResponseStatus is the response's code (and, for failures, its Status).
type ResponseStatus struct {
	Metadata struct{} `json:"metadata"`
	Status   string   `json:"status,omitempty"`
	Message  string   `json:"message,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Code     int      `json:"code"`
}

// Logger is the audit log: a middleware that makes the events and a
// writer that appends them to the file.
type Logger struct {
	policy  *Policy
	file    *os.File
	events  chan *Event
	dropped prometheus.Counter
	log     zerolog.Logger
	now     func() time.Time
}

// New opens the log (mode 0600) and reads the policy; nil, nil when cfg
// turns auditing off. reg gets the dropped-events counter.
func New(cfg Config, reg prometheus.Registerer, log zerolog.Logger) (*Logger, error) {
	if cfg.Path == "" {
		if cfg.PolicyFile != "" {
			return nil, fmt.Errorf("an audit policy needs an audit log path")
		}
		return nil, nil
	}
	p := &Policy{Rules: []PolicyRule{{Level: LevelMetadata}}}
	if cfg.PolicyFile != "" {
		var err error
		if p, err = LoadPolicy(cfg.PolicyFile); err != nil {
			return nil, err
		}
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = DefaultBufferSize
	}
	dropped := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "minik8s_audit_events_dropped_total",
		Help: "Audit events dropped because the audit log's buffer was full.",
	})
	if err := reg.Register(dropped); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(cfg.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	return &Logger{policy: p, file: f, events: make(chan *Event, cfg.BufferSize), dropped: dropped, log: log, now: time.Now}, nil
}

// Run writes events until ctx ends, then writes what is buffered and
// closes the file.
func (l *Logger) Run(ctx context.Context) error {
	w := bufio.NewWriter(l.file)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	write := func(e *Event) {
		if err := enc.Encode(e); err != nil {
			l.log.Error().Err(err).Msg("write audit event")
		}
	}
	defer func() {
		for {
			select {
			case e := <-l.events:
				write(e)
			default:
				_ = w.Flush()
				_ = l.file.Close()
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-l.events:
			write(e)
			// Flush when nothing else waits, so the file is current.
			if len(l.events) == 0 {
				if err := w.Flush(); err != nil {
					l.log.Error().Err(err).Msg("write audit log")
				}
			}
		}
	}
}

// emit queues e, or drops it when the buffer is full.
func (l *Logger) emit(e Event) {
	select {
	case l.events <- &e:
	default:
		l.dropped.Inc()
	}
}

// Middleware audits each request; it must run after authentication.
func (l *Logger) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			ri := reqinfo.Of(req)
			u, _ := authn.UserFrom(req.Context())
			resource := ri.Resource
			if ri.Subresource != "" {
				resource += "/" + ri.Subresource
			}
			level, omit := l.policy.LevelFor(Attributes{
				User: u.Name, Groups: u.Groups, Verb: ri.Verb, IsResource: ri.IsResourceRequest,
				Group: ri.Group, Resource: resource, Namespace: ri.Namespace, Name: ri.Name, Path: req.URL.Path,
			})
			if level == LevelNone {
				return next(c)
			}
			received := l.now()
			ev := Event{
				Kind: "Event", APIVersion: "audit.k8s.io/v1", Level: level, AuditID: uuid.NewString(),
				RequestURI: req.URL.RequestURI(), Verb: ri.Verb,
				User:      UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra},
				SourceIPs: sourceIPs(req), UserAgent: req.UserAgent(),
				RequestReceivedTimestamp: stamp(received),
			}
			if ri.IsResourceRequest {
				ev.ObjectRef = &ObjectReference{Resource: ri.Resource, Namespace: ri.Namespace, Name: ri.Name,
					APIGroup: ri.Group, APIVersion: ri.Version, Subresource: ri.Subresource}
			}
			c.Response().Header().Set("Audit-Id", ev.AuditID)
			stage := func(s Stage, mod func(*Event)) {
				if slices.Contains(omit, s) {
					return
				}
				e := ev
				e.Stage, e.StageTimestamp = s, stamp(l.now())
				if mod != nil {
					mod(&e)
				}
				l.emit(e)
			}
			stage(StageRequestReceived, nil)

			var reqBody *capture
			if level.atLeast(LevelRequest) && req.Body != nil {
				reqBody = &capture{}
				req.Body = &teeBody{ReadCloser: req.Body, c: reqBody}
			}
			rw := &recorder{ResponseWriter: c.Response().Writer, longRunning: ri.LongRunning}
			if level.atLeast(LevelRequestResponse) && !ri.LongRunning {
				rw.body = &capture{}
			}
			if ri.LongRunning {
				rw.started = func(code int) {
					stage(StageResponseStarted, func(e *Event) { e.ResponseStatus = &ResponseStatus{Code: code} })
				}
			}
			c.Response().Writer = rw
			err := next(c)
			if err != nil {
				c.Error(err) // write the error response now, so it is audited
			}
			stage(StageResponseComplete, func(e *Event) {
				e.ResponseStatus = responseStatus(rw, c.Response().Status)
				if reqBody != nil {
					e.RequestObject = reqBody.json()
				}
				if rw.body != nil {
					e.ResponseObject = rw.body.json()
				}
			})
			return nil
		}
	}
}

// responseStatus is the code, and for a failure the Status the body holds.
func responseStatus(rw *recorder, code int) *ResponseStatus {
	rs := &ResponseStatus{Code: code}
	if code < 400 || rw.head == nil {
		return rs
	}
	var st struct {
		Kind, Status, Message, Reason string
	}
	if json.Unmarshal(rw.head.buf.Bytes(), &st) == nil && st.Kind == "Status" {
		rs.Status, rs.Message, rs.Reason = st.Status, st.Message, st.Reason
	}
	return rs
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func sourceIPs(r *http.Request) []string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return []string{host}
}

// capture keeps up to MaxBodyBytes of a body.
type capture struct {
	buf      bytes.Buffer
	overflow bool
}

func (c *capture) write(p []byte) {
	if c.overflow {
		return
	}
	if c.buf.Len()+len(p) > MaxBodyBytes {
		c.overflow = true
		c.buf.Reset()
		return
	}
	c.buf.Write(p)
}

// json is the captured body if it is complete JSON, else nil.
func (c *capture) json() json.RawMessage {
	b := bytes.TrimSpace(c.buf.Bytes())
	if c.overflow || len(b) == 0 || !json.Valid(b) {
		return nil
	}
	return json.RawMessage(bytes.Clone(b))
}

type teeBody struct {
	io.ReadCloser
	c *capture
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.c.write(p[:n])
	return n, err
}

// recorder passes a response through, noting when it starts and keeping
// what the audit event needs of its body.
type recorder struct {
	http.ResponseWriter
	longRunning bool
	started     func(code int)
	wrote       bool
	body        *capture // RequestResponse: the whole body
	head        *capture // failures: the Status
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.wrote = true
		if code >= 400 {
			r.head = &capture{}
		}
		if r.started != nil {
			r.started(code)
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	if r.body != nil {
		r.body.write(p)
	}
	if r.head != nil && r.head.buf.Len() < 64<<10 {
		r.head.write(p)
	}
	return r.ResponseWriter.Write(p)
}

// Flush lets streaming handlers flush through the recorder.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (hijacking for
// exec and port-forward, deadlines for watches).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
