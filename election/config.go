package election

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
)

// Config tunes an Elector. The three durations keep client-go's meaning and
// defaults; the lock's own lease duration (its TTL) must equal LeaseDuration.
type Config struct {
	// Identity names this replica; it must be unique among the candidates
	// for one lock. NewIdentity makes one.
	Identity string `yaml:"identity"`
	// LeaseDuration is how long a lease lasts without renewal: how long
	// standbys wait for a leader that has vanished without releasing.
	LeaseDuration time.Duration `yaml:"leaseDuration"`
	// RenewDeadline is how long the leader keeps trying to renew before it
	// stops leading. It must be shorter than LeaseDuration.
	RenewDeadline time.Duration `yaml:"renewDeadline"`
	// RetryPeriod is the interval between renewals, and between attempts to
	// acquire (plus up to 20% jitter).
	RetryPeriod time.Duration `yaml:"retryPeriod"`
	// Now is the elector's clock; nil means time.Now. Tests inject a fake.
	Now func() time.Time `yaml:"-"`
}

// DefaultConfig returns client-go's defaults: lease 15s, renew deadline 10s,
// retry 2s. Identity is left empty: each replica must set its own.
func DefaultConfig() Config {
	return Config{
		LeaseDuration: 15 * time.Second,
		RenewDeadline: 10 * time.Second,
		RetryPeriod:   2 * time.Second,
	}
}

// jitterFactor is the rule client-go enforces: RenewDeadline must leave room
// for at least one jittered retry.
const jitterFactor = 1.2

// Validate reports an empty identity or durations that break
// LeaseDuration > RenewDeadline > 1.2 × RetryPeriod > 0.
func (c Config) Validate() error {
	var errs []error
	if c.Identity == "" {
		errs = append(errs, errors.New("identity is empty"))
	}
	if c.RetryPeriod <= 0 {
		errs = append(errs, fmt.Errorf("retryPeriod %s must be positive", c.RetryPeriod))
	}
	if c.LeaseDuration <= c.RenewDeadline {
		errs = append(errs, fmt.Errorf("leaseDuration %s must be greater than renewDeadline %s", c.LeaseDuration, c.RenewDeadline))
	}
	if float64(c.RenewDeadline) <= jitterFactor*float64(c.RetryPeriod) {
		errs = append(errs, fmt.Errorf("renewDeadline %s must be greater than %.1f × retryPeriod %s", c.RenewDeadline, jitterFactor, c.RetryPeriod))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("election config: %w", err)
	}
	return nil
}

// NewIdentity returns "<hostname>_<random uuid>", a name unique to this
// process, as client-go's users build theirs.
func NewIdentity() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return host + "_" + uuid.NewString()
}
