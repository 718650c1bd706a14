package registry

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// endpoints: core/v1 Endpoints, the addresses behind a Service, by
// subsets of ports. Validation is Kubernetes' ValidateEndpoints, except
// that loopback addresses are allowed: a minik8s cluster on a laptop
// serves its API on 127.0.0.1, and the kubernetes Service's endpoints say
// so.
var endpoints = &Resource{
	Version: "v1", Kind: "Endpoints", Name: "endpoints", Singular: "endpoints", Namespaced: true,
	ShortNames: []string{"ep"},
	Schema:     GoType[api.Endpoints](),
	Strategy:   Strategy{Default: defaults.Endpoints, Validate: Typed(validateEndpoints)},
	Columns: []Column{
		{Name: "Endpoints", Type: "string", Description: "Endpoints of the service: up to three ip:port, then how many more.",
			Cell: func(o map[string]any, _ time.Time) any { return formatEndpoints(o) }},
	},
	GroupTypes: []string{"EndpointSubset", "EndpointAddress", "EndpointPort"},
	Docs: map[string]string{
		"Endpoints":         "Endpoints is a collection of endpoints that implement the actual service, grouped in subsets of addresses that serve the same ports. The endpoints controller writes it for services with a selector; a service without one has it written by hand.",
		"Endpoints.subsets": "The set of all endpoints is the union of all subsets: addresses (ready) and notReadyAddresses, each serving every port of its subset.",
	},
}

func init() { register(endpoints) }

// validateEndpoints checks Endpoints as Kubernetes' ValidateEndpoints
// does (loopback allowed, see endpoints).
func validateEndpoints(ep, _ *api.Endpoints) field.ErrorList {
	errs := validation.ValidateObjectMeta(&ep.ObjectMeta, true, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	for i, ss := range ep.Subsets {
		p := field.NewPath("subsets").Index(i)
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			errs = append(errs, field.Required(p, "must specify `addresses` or `notReadyAddresses`"))
		}
		for j := range ss.Addresses {
			errs = append(errs, validateEndpointAddress(&ss.Addresses[j], p.Child("addresses").Index(j))...)
		}
		for j := range ss.NotReadyAddresses {
			errs = append(errs, validateEndpointAddress(&ss.NotReadyAddresses[j], p.Child("notReadyAddresses").Index(j))...)
		}
		names := map[string]bool{}
		for j, port := range ss.Ports {
			pp := p.Child("ports").Index(j)
			if len(ss.Ports) > 1 && port.Name == "" {
				errs = append(errs, field.Required(pp.Child("name"), ""))
			} else if port.Name != "" {
				for _, msg := range validation.IsDNS1123Label(port.Name) {
					errs = append(errs, field.Invalid(pp.Child("name"), port.Name, msg))
				}
				if names[port.Name] {
					errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
				}
				names[port.Name] = true
			}
			errs = append(errs, validatePortAndProtocol(int(port.Port), string(port.Protocol), pp)...)
		}
	}
	return errs
}

func validateEndpointAddress(a *api.EndpointAddress, p *field.Path) field.ErrorList {
	errs := validateEndpointIP(a.IP, p.Child("ip"))
	if a.Hostname != "" {
		for _, msg := range validation.IsDNS1123Label(a.Hostname) {
			errs = append(errs, field.Invalid(p.Child("hostname"), a.Hostname, msg))
		}
	}
	if a.NodeName != nil {
		for _, msg := range validation.IsDNS1123Subdomain(*a.NodeName) {
			errs = append(errs, field.Invalid(p.Child("nodeName"), *a.NodeName, msg))
		}
	}
	return errs
}

// validateEndpointIP refuses what cannot be an endpoint: not an IP, the
// unspecified address, link-local and multicast addresses.
func validateEndpointIP(ip string, p *field.Path) field.ErrorList {
	addr, err := netip.ParseAddr(ip)
	switch {
	case err != nil || addr.Zone() != "":
		return field.ErrorList{field.Invalid(p, ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")}
	case addr.IsUnspecified():
		return field.ErrorList{field.Invalid(p, ip, "may not be unspecified (0.0.0.0, ::)")}
	case addr.IsLinkLocalUnicast():
		return field.ErrorList{field.Invalid(p, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)")}
	case addr.IsLinkLocalMulticast():
		return field.ErrorList{field.Invalid(p, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")}
	case addr.IsMulticast():
		return field.ErrorList{field.Invalid(p, ip, "may not be a multicast address")}
	}
	return nil
}

// validatePortAndProtocol checks an endpoint port's number and protocol.
func validatePortAndProtocol(port int, protocol string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsValidPortNum(port) {
		errs = append(errs, field.Invalid(p.Child("port"), port, msg))
	}
	if protocol == "" {
		errs = append(errs, field.Required(p.Child("protocol"), ""))
	} else if !slices.Contains(protocols, protocol) {
		errs = append(errs, field.NotSupported(p.Child("protocol"), protocol, protocols))
	}
	return errs
}

// formatEndpoints is the ENDPOINTS cell as kubectl prints it: up to three
// ip:port of the ready addresses, then "+ N more...".
func formatEndpoints(o map[string]any) string {
	subsets := list(o, "subsets")
	if len(subsets) == 0 {
		return "<none>"
	}
	const maxShown = 3
	var shown []string
	count := 0
	for _, ss := range subsets {
		ss, _ := ss.(map[string]any)
		addrs := list(ss, "addresses")
		ports := list(ss, "ports")
		if len(ports) == 0 {
			for _, a := range addrs {
				a, _ := a.(map[string]any)
				if len(shown) < maxShown {
					shown = append(shown, str(a, "ip"))
				}
				count++
			}
			continue
		}
		for _, port := range ports {
			port, _ := port.(map[string]any)
			for _, a := range addrs {
				a, _ := a.(map[string]any)
				if len(shown) < maxShown {
					ip := str(a, "ip")
					if strings.Contains(ip, ":") {
						ip = "[" + ip + "]"
					}
					shown = append(shown, ip+":"+strconv.FormatInt(num(port, "port"), 10))
				}
				count++
			}
		}
	}
	out := strings.Join(shown, ",")
	if count > maxShown {
		out += fmt.Sprintf(" + %d more...", count-maxShown)
	}
	return out
}
