package redisbus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/minik8s/minik8s/apiserver/hub"
	"github.com/minik8s/minik8s/store"
)

var _ hub.Bus = (*Bus)(nil)

// ErrClosed: the bus was closed.
var ErrClosed = errors.New("redisbus: closed")

const (
	queueSize        = 1024             // batches waiting to be published
	maxMessage       = 1024             // changes coalesced into one message
	publishTimeout   = 2 * time.Second  // per PUBLISH, so a dead Redis costs little
	subscribeTimeout = 5 * time.Second  // for the SUBSCRIBE confirmation
	healthInterval   = 15 * time.Second // silence after which a subscription pings
	subBuffer        = 4096             // changes buffered per subscription
	maxBuffer        = 1 << 20          // largest message buffer kept for the next
)

// Bus publishes and receives changes on one Redis pub/sub channel. It is
// safe for concurrent use; Publish calls must be serialised by the caller to
// keep their order.
type Bus struct {
	client  *redis.Client
	channel string
	logger  zerolog.Logger
	errLog  zerolog.Logger // rate-limited

	mu     sync.RWMutex // guards closed and sends on queue
	closed bool
	queue  chan []store.Change

	ctx       context.Context // cancelled by Close, ends subscriptions
	cancel    context.CancelFunc
	published chan struct{} // closed when the publisher goroutine exits
	buf       []byte        // the last message sent; the publisher's own
}

// New connects to the Redis server at url (redis://[user:pass@]host:port/db,
// or rediss:// for TLS) and returns a bus on channel. It fails if the URL is
// invalid or Redis does not answer a PING within ctx. Close releases it.
func New(ctx context.Context, url, channel string, logger zerolog.Logger) (*Bus, error) {
	if channel == "" {
		return nil, errors.New("redisbus: empty channel name")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	client := redis.NewClient(opt)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("connect to redis at %s: %w", opt.Addr, err)
	}
	b := &Bus{
		client:    client,
		channel:   channel,
		logger:    logger,
		errLog:    logger.Sample(&zerolog.BurstSampler{Burst: 3, Period: 10 * time.Second}),
		queue:     make(chan []store.Change, queueSize),
		published: make(chan struct{}),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	go b.publishLoop()
	return b, nil
}

// Publish queues changes for publication and returns at once. It returns
// ErrClosed after Close; a batch that does not fit in the queue is dropped
// with a warning (the hubs catch up from the change log), and Publish
// returns nil.
func (b *Bus) Publish(_ context.Context, changes []store.Change) error {
	if len(changes) == 0 {
		return nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	select {
	case b.queue <- slices.Clone(changes):
	default:
		b.errLog.Warn().Int("dropped", len(changes)).Msg("redis publish queue full; dropping changes")
	}
	return nil
}

// publishLoop sends the queue until Close closes it.
func (b *Bus) publishLoop() {
	defer close(b.published)
	for batch := range b.queue {
		msg, open := b.coalesce(batch)
		if err := b.send(msg); err != nil {
			// Redis is probably down: what is queued would fail too, and is
			// stale by the time it reconnects. The hubs catch up anyway.
			dropped := len(msg) + b.discardQueued()
			b.errLog.Warn().Err(err).Int("dropped", dropped).
				Msg("publish to redis failed; dropping changes, watchers catch up from the change log")
		}
		if !open {
			return
		}
	}
}

// coalesce appends queued batches to msg, up to maxMessage changes; open is
// false if it found the queue closed.
func (b *Bus) coalesce(msg []store.Change) ([]store.Change, bool) {
	for len(msg) < maxMessage {
		select {
		case more, ok := <-b.queue:
			if !ok {
				return msg, false
			}
			msg = append(msg, more...)
		default:
			return msg, true
		}
	}
	return msg, true
}

func (b *Bus) discardQueued() int {
	n := 0
	for {
		select {
		case batch, ok := <-b.queue:
			if !ok {
				return n
			}
			n += len(batch)
		default:
			return n
		}
	}
}

func (b *Bus) send(changes []store.Change) error {
	// Publish has written the payload to the connection when it returns,
	// so the next message reuses its buffer.
	payload := encode(b.buf, changes)
	if cap(payload) <= maxBuffer {
		b.buf = payload
	}
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	if err := b.client.Publish(ctx, b.channel, payload).Err(); err != nil {
		return fmt.Errorf("publish to redis channel %s: %w", b.channel, err)
	}
	return nil
}

// Subscribe subscribes to the channel and returns once Redis has confirmed
// the subscription, so every message published afterwards is received. It
// fails if Redis does not confirm in time, and with ErrClosed after Close. The
// returned channel yields every publisher's changes and is closed when ctx
// is done, the bus is closed, or the subscription fails (connection lost,
// no answer to a health-check ping, Redis dropping a slow subscriber).
func (b *Bus) Subscribe(ctx context.Context) (<-chan store.Change, error) {
	if b.ctx.Err() != nil {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	stopOnClose := context.AfterFunc(b.ctx, cancel)
	ps := b.client.Subscribe(ctx, b.channel)
	fail := func(err error) (<-chan store.Change, error) {
		stopOnClose()
		cancel()
		ps.Close()
		return nil, fmt.Errorf("subscribe to redis channel %s: %w", b.channel, err)
	}
	msg, err := ps.ReceiveTimeout(ctx, subscribeTimeout)
	if err != nil {
		return fail(err)
	}
	if _, ok := msg.(*redis.Subscription); !ok {
		return fail(fmt.Errorf("unexpected reply %T", msg))
	}

	out := make(chan store.Change, subBuffer)
	// go-redis does not interrupt a blocked read on cancellation; closing the
	// PubSub does.
	stopClose := context.AfterFunc(ctx, func() { ps.Close() })
	go func() {
		defer close(out)
		defer stopOnClose()
		defer cancel()
		defer stopClose()
		defer ps.Close()
		if err := b.receive(ctx, ps, out); err != nil && ctx.Err() == nil {
			b.logger.Warn().Err(err).Msg("redis subscription lost")
		}
	}()
	return out, nil
}

// receive forwards messages to out until ctx is done or the subscription
// fails. After healthInterval without traffic it pings; a second silent
// interval means the connection is dead.
func (b *Bus) receive(ctx context.Context, ps *redis.PubSub, out chan<- store.Change) error {
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, healthInterval)
		if err != nil {
			var ne net.Error
			if !pinged && errors.As(err, &ne) && ne.Timeout() {
				if err := ps.Ping(ctx); err != nil {
					return fmt.Errorf("ping: %w", err)
				}
				pinged = true
				continue
			}
			return fmt.Errorf("receive: %w", err)
		}
		pinged = false
		m, ok := msg.(*redis.Message)
		if !ok {
			continue // *redis.Pong, or a subscription confirmation
		}
		// decode reads the payload without keeping it (values are
		// copied), so it needs no copy of its own.
		changes, err := decode(unsafe.Slice(unsafe.StringData(m.Payload), len(m.Payload)))
		if err != nil {
			b.errLog.Error().Err(err).Msg("drop undecodable message")
			continue
		}
		for _, c := range changes {
			select {
			case out <- c:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// Close stops accepting changes, publishes what is queued (each attempt
// bounded by a short timeout), ends every subscription and closes the
// client. It is idempotent.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.queue)
	b.mu.Unlock()

	<-b.published
	b.cancel()
	if err := b.client.Close(); err != nil {
		return fmt.Errorf("close redis client: %w", err)
	}
	return nil
}

// A message is a protocol buffer (protowire: no generated code for eight
// fields) whose field 1 repeats, one change each, with these fields. A
// pod's JSON travels as it is, where JSON would carry it as base64 and
// scan it twice more.
const (
	fieldChange protowire.Number = 1

	fieldRevision protowire.Number = 1
	fieldType     protowire.Number = 2
	fieldResource protowire.Number = 3
	fieldNS       protowire.Number = 4
	fieldName     protowire.Number = 5
	fieldUID      protowire.Number = 6
	fieldRV       protowire.Number = 7
	fieldValue    protowire.Number = 8
)

// encode appends the message carrying changes to buf[:0], which is sized
// first so that a batch of pods is one allocation, or none once buf has
// grown to the batches' size.
func encode(buf []byte, changes []store.Change) []byte {
	str := func(n protowire.Number, s string) int {
		if s == "" {
			return 0
		}
		return protowire.SizeTag(n) + protowire.SizeBytes(len(s))
	}
	sizes := make([]int, len(changes))
	total := 0
	for i, ch := range changes {
		n := protowire.SizeTag(fieldRevision) + protowire.SizeVarint(uint64(ch.Revision)) +
			str(fieldType, string(ch.Type)) + str(fieldResource, ch.Resource) + str(fieldNS, ch.Namespace) +
			str(fieldName, ch.Name) + str(fieldUID, ch.UID) +
			protowire.SizeTag(fieldRV) + protowire.SizeVarint(uint64(ch.ResourceVersion))
		if len(ch.Value) > 0 {
			n += protowire.SizeTag(fieldValue) + protowire.SizeBytes(len(ch.Value))
		}
		sizes[i] = n
		total += protowire.SizeTag(fieldChange) + protowire.SizeBytes(n)
	}
	b := slices.Grow(buf[:0], total)
	appendStr := func(b []byte, n protowire.Number, s string) []byte {
		if s == "" {
			return b
		}
		return protowire.AppendString(protowire.AppendTag(b, n, protowire.BytesType), s)
	}
	for i, ch := range changes {
		b = protowire.AppendVarint(protowire.AppendTag(b, fieldChange, protowire.BytesType), uint64(sizes[i]))
		b = protowire.AppendVarint(protowire.AppendTag(b, fieldRevision, protowire.VarintType), uint64(ch.Revision))
		b = appendStr(b, fieldType, string(ch.Type))
		b = appendStr(b, fieldResource, ch.Resource)
		b = appendStr(b, fieldNS, ch.Namespace)
		b = appendStr(b, fieldName, ch.Name)
		b = appendStr(b, fieldUID, ch.UID)
		b = protowire.AppendVarint(protowire.AppendTag(b, fieldRV, protowire.VarintType), uint64(ch.ResourceVersion))
		if len(ch.Value) > 0 {
			b = protowire.AppendBytes(protowire.AppendTag(b, fieldValue, protowire.BytesType), ch.Value)
		}
	}
	return b
}

func decode(payload []byte) ([]store.Change, error) {
	var out []store.Change
	err := eachField(payload, func(n protowire.Number, _ uint64, b []byte) error {
		if n != fieldChange {
			return nil
		}
		var c store.Change
		err := eachField(b, func(n protowire.Number, v uint64, b []byte) error {
			switch n {
			case fieldRevision:
				c.Revision = int64(v)
			case fieldType:
				c.Type = store.EventType(b)
			case fieldResource:
				c.Resource = string(b)
			case fieldNS:
				c.Namespace = string(b)
			case fieldName:
				c.Name = string(b)
			case fieldUID:
				c.UID = string(b)
			case fieldRV:
				c.ResourceVersion = int64(v)
			case fieldValue:
				if len(b) > 0 {
					c.Value = bytes.Clone(b)
				}
			}
			return nil
		})
		if err == nil && (c.Type == "" || c.Resource == "" || c.Name == "") {
			err = errors.New("a change without its type, resource or name")
		}
		out = append(out, c)
		return err
	})
	if err == nil && len(out) == 0 {
		err = errors.New("no changes")
	}
	if err != nil {
		return nil, fmt.Errorf("decode changes: %w", err)
	}
	return out, nil
}

// eachField calls f with each field of the protocol buffer b: its varint
// value or its bytes. Fields of other wire types are skipped.
func eachField(b []byte, f func(n protowire.Number, v uint64, b []byte) error) error {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		var v uint64
		var bs []byte
		switch typ {
		case protowire.VarintType:
			v, l = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			bs, l = protowire.ConsumeBytes(b)
		default:
			l = protowire.ConsumeFieldValue(n, typ, b)
		}
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if typ == protowire.VarintType || typ == protowire.BytesType {
			if err := f(n, v, bs); err != nil {
				return err
			}
		}
	}
	return nil
}
