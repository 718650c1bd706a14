package redislock

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/minik8s/minik8s/election"
)

// Lock is an election.Lock on one Redis key. It is safe for concurrent use.
type Lock struct {
	client *redis.Client
	key    string
	fence  string
	ttl    time.Duration
}

var _ election.Lock = (*Lock)(nil)

// New returns a lock on key whose leases last ttl (election.Config's
// LeaseDuration); the fence counter lives in key+":fence". ttl is rounded
// up to whole milliseconds.
func New(client *redis.Client, key string, ttl time.Duration) *Lock {
	return &Lock{client: client, key: key, fence: key + ":fence", ttl: ttl}
}

// acquire: KEYS = {lock, fence}, ARGV = {holder, ttl ms}.
// Returns {1, fence} when acquired, {0, value, pttl} when held by another.
var acquire = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  local sep = string.find(v, ':', 1, true)
  if not sep or string.sub(v, sep + 1) ~= ARGV[1] then
    return {0, v, redis.call('PTTL', KEYS[1])}
  end
end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence .. ':' .. ARGV[1], 'PX', ARGV[2])
return {1, fence}
`)

// renew: KEYS = {lock}, ARGV = {value, ttl ms}. Returns 1 if renewed.
var renew = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// release: KEYS = {lock}, ARGV = {value}. Returns 1 if deleted.
var release = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// TryAcquire implements election.Lock. Each successful call, even by the
// current holder, takes a new fence.
func (l *Lock) TryAcquire(ctx context.Context, id string) (election.Lease, error) {
	if id == "" {
		return election.Lease{}, errors.New("acquire redis lock: empty identity")
	}
	start := time.Now()
	res, err := acquire.Run(ctx, l.client, []string{l.key, l.fence}, id, l.ttlMillis()).Slice()
	if err != nil {
		return election.Lease{}, fmt.Errorf("acquire redis lock %s: %w", l.key, err)
	}
	if len(res) >= 2 && res[0] == int64(1) {
		fence, ok := res[1].(int64)
		if !ok {
			return election.Lease{}, fmt.Errorf("acquire redis lock %s: unexpected reply %v", l.key, res)
		}
		return election.Lease{Holder: id, Expires: start.Add(l.ttl), Fence: fence}, nil
	}
	if len(res) != 3 {
		return election.Lease{}, fmt.Errorf("acquire redis lock %s: unexpected reply %v", l.key, res)
	}
	value, _ := res[1].(string)
	held := &election.LeaseExistsError{Holder: value}
	if _, holder, ok := strings.Cut(value, ":"); ok {
		held.Holder = holder
	}
	// PTTL is -1 for a key without expiry (not one of ours) and -2 if it
	// vanished in between; only a positive TTL gives an expiry.
	if pttl, _ := res[2].(int64); pttl > 0 {
		held.Expires = start.Add(time.Duration(pttl) * time.Millisecond)
	}
	return election.Lease{}, held
}

// Renew implements election.Lock.
func (l *Lock) Renew(ctx context.Context, lease election.Lease) (election.Lease, error) {
	start := time.Now()
	n, err := renew.Run(ctx, l.client, []string{l.key}, value(lease), l.ttlMillis()).Int()
	if err != nil {
		return election.Lease{}, fmt.Errorf("renew redis lock %s: %w", l.key, err)
	}
	if n != 1 {
		return election.Lease{}, election.ErrLeaseLost
	}
	lease.Expires = start.Add(l.ttl)
	return lease, nil
}

// Release implements election.Lock.
func (l *Lock) Release(ctx context.Context, lease election.Lease) error {
	if err := release.Run(ctx, l.client, []string{l.key}, value(lease)).Err(); err != nil {
		return fmt.Errorf("release redis lock %s: %w", l.key, err)
	}
	return nil
}

// Describe implements election.Lock.
func (l *Lock) Describe() string { return "redis " + l.key }

func (l *Lock) ttlMillis() int64 {
	return int64((l.ttl + time.Millisecond - 1) / time.Millisecond)
}

// value is what the key holds while lease is current.
func value(lease election.Lease) string {
	return strconv.FormatInt(lease.Fence, 10) + ":" + lease.Holder
}
