package sim

import (
	"errors"
	"fmt"
	"net/netip"
)

// ipPool hands out the host addresses of an IPv4 prefix, except the
// network address, the gateway (the first host) and the broadcast address.
// The Runtime's mutex guards it.
type ipPool struct {
	first netip.Addr // first address handed out
	size  int        // number of addresses handed out
	next  int        // offset from first to try next
	inUse map[netip.Addr]struct{}
}

func newIPPool(cidr string) (ipPool, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return ipPool{}, fmt.Errorf("parse pod CIDR: %w", err)
	}
	if !p.Addr().Is4() || p.Bits() < 8 || p.Bits() > 30 {
		return ipPool{}, fmt.Errorf("pod CIDR %s: want an IPv4 prefix of /8 to /30", cidr)
	}
	p = p.Masked()
	return ipPool{
		first: p.Addr().Next().Next(),
		size:  1<<(32-p.Bits()) - 3,
		inUse: map[netip.Addr]struct{}{},
	}, nil
}

var errNoIP = errors.New("pod CIDR exhausted")

// allocate returns a free address, trying them in turn from after the last
// one handed out so that a freed address is not reused at once.
func (p *ipPool) allocate() (netip.Addr, error) {
	for range p.size {
		a := offset(p.first, p.next)
		p.next = (p.next + 1) % p.size
		if _, used := p.inUse[a]; !used {
			p.inUse[a] = struct{}{}
			return a, nil
		}
	}
	return netip.Addr{}, errNoIP
}

// release frees a.
func (p *ipPool) release(a netip.Addr) {
	delete(p.inUse, a)
}

func offset(a netip.Addr, n int) netip.Addr {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
