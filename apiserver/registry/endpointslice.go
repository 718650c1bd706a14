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

// endpointSlices: discovery.k8s.io/v1 EndpointSlice, a slice of the
// endpoints behind a Service (labelled kubernetes.io/service-name, which
// is how clients select a service's slices). Validation is Kubernetes'
// ValidateEndpointSlice: addressType IPv4, IPv6 or FQDN and immutable, at
// most 1000 endpoints of 1 to 100 addresses each, addresses of the
// slice's type.
var endpointSlices = &Resource{
	Group: "discovery.k8s.io", Version: "v1", Kind: "EndpointSlice", Name: "endpointslices", Singular: "endpointslice",
	Namespaced: true,
	Schema:     GoType[api.EndpointSlice](),
	Strategy:   Strategy{Default: defaults.EndpointSlice, Validate: Typed(validateEndpointSlice)},
	Columns: []Column{
		{Name: "AddressType", Type: "string", Description: "The type of the slice's addresses.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "addressType") }},
		{Name: "Ports", Type: "string", Description: "The ports of the slice: up to three, then how many more.",
			Cell: func(o map[string]any, _ time.Time) any { return formatSlicePorts(list(o, "ports")) }},
		{Name: "Endpoints", Type: "string", Description: "The addresses of the slice's endpoints: up to three, then how many more.",
			Cell: func(o map[string]any, _ time.Time) any { return formatSliceEndpoints(list(o, "endpoints")) }},
	},
	GroupTypes: []string{"Endpoint", "EndpointConditions", "EndpointHints", "ForZone", "ForNode"},
	Docs: map[string]string{
		"EndpointSlice":             "EndpointSlice represents a subset of the endpoints that implement a service. The label kubernetes.io/service-name names the service.",
		"EndpointSlice.addressType": "addressType specifies the type of address carried by this EndpointSlice: IPv4, IPv6 or FQDN. It cannot be changed.",
		"EndpointSlice.endpoints":   "endpoints is a list of unique endpoints in this slice, at most 1000.",
	},
}

func init() { register(endpointSlices) }

// The bounds of Kubernetes' EndpointSlice validation.
const (
	maxSliceEndpoints = 1000
	maxSliceAddresses = 100
	maxSlicePorts     = 20000
)

var addressTypes = []string{"FQDN", "IPv4", "IPv6"}

// validateEndpointSlice checks a slice as Kubernetes'
// ValidateEndpointSlice and ValidateEndpointSliceUpdate do.
func validateEndpointSlice(es, old *api.EndpointSlice) field.ErrorList {
	errs := validation.ValidateObjectMeta(&es.ObjectMeta, true, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	if !slices.Contains(addressTypes, es.AddressType) {
		if es.AddressType == "" {
			errs = append(errs, field.Required(field.NewPath("addressType"), ""))
		} else {
			errs = append(errs, field.NotSupported(field.NewPath("addressType"), es.AddressType, addressTypes))
		}
	}
	ep := field.NewPath("endpoints")
	if len(es.Endpoints) > maxSliceEndpoints {
		errs = append(errs, field.Invalid(ep, len(es.Endpoints), fmt.Sprintf("must have at most %d items", maxSliceEndpoints)))
	}
	for i, e := range es.Endpoints {
		p := ep.Index(i)
		ap := p.Child("addresses")
		if len(e.Addresses) == 0 {
			errs = append(errs, field.Required(ap, "must contain at least 1 address"))
		} else if len(e.Addresses) > maxSliceAddresses {
			errs = append(errs, field.Invalid(ap, len(e.Addresses), fmt.Sprintf("must have at most %d items", maxSliceAddresses)))
		}
		for j, a := range e.Addresses {
			errs = append(errs, validateSliceAddress(a, es.AddressType, ap.Index(j))...)
		}
		if e.Hostname != nil {
			for _, msg := range validation.IsDNS1123Label(*e.Hostname) {
				errs = append(errs, field.Invalid(p.Child("hostname"), *e.Hostname, msg))
			}
		}
		if e.NodeName != nil {
			for _, msg := range validation.IsDNS1123Subdomain(*e.NodeName) {
				errs = append(errs, field.Invalid(p.Child("nodeName"), *e.NodeName, msg))
			}
		}
	}
	pp := field.NewPath("ports")
	if len(es.Ports) > maxSlicePorts {
		errs = append(errs, field.Invalid(pp, len(es.Ports), fmt.Sprintf("must have at most %d items", maxSlicePorts)))
	}
	names := map[string]bool{}
	for i, port := range es.Ports {
		p := pp.Index(i)
		name := ""
		if port.Name != nil {
			name = *port.Name
		}
		if name != "" {
			for _, msg := range validation.IsDNS1123Label(name) {
				errs = append(errs, field.Invalid(p.Child("name"), name, msg))
			}
		}
		if names[name] {
			errs = append(errs, field.Duplicate(p.Child("name"), name))
		}
		names[name] = true
		if port.Protocol == nil {
			errs = append(errs, field.Required(p.Child("protocol"), ""))
		} else if !slices.Contains(protocols, string(*port.Protocol)) {
			errs = append(errs, field.NotSupported(p.Child("protocol"), string(*port.Protocol), protocols))
		}
		if port.Port != nil {
			for _, msg := range validation.IsValidPortNum(int(*port.Port)) {
				errs = append(errs, field.Invalid(p.Child("port"), *port.Port, msg))
			}
		}
	}
	if old != nil {
		errs = append(errs, validation.ValidateImmutableField(es.AddressType, old.AddressType, field.NewPath("addressType"))...)
	}
	return errs
}

func validateSliceAddress(a, typ string, p *field.Path) field.ErrorList {
	switch typ {
	case "IPv4", "IPv6":
		addr, err := netip.ParseAddr(a)
		if err != nil || addr.Is4() != (typ == "IPv4") || addr.Zone() != "" {
			return field.ErrorList{field.Invalid(p, a, fmt.Sprintf("must be a valid %s address", typ))}
		}
		return validateEndpointIP(a, p)
	case "FQDN":
		var errs field.ErrorList
		for _, msg := range validation.IsDNS1123Subdomain(a) {
			errs = append(errs, field.Invalid(p, a, msg))
		}
		return errs
	}
	return nil
}

// formatSlicePorts is the PORTS cell: port numbers (a name, or "*",
// without one), up to three, then "+ N more..."; <unset> for none.
func formatSlicePorts(ports []any) string {
	vals := make([]string, 0, len(ports))
	for _, p := range ports {
		p, _ := p.(map[string]any)
		switch {
		case value(p, "port") != nil:
			vals = append(vals, strconv.FormatInt(num(p, "port"), 10))
		case str(p, "name") != "":
			vals = append(vals, str(p, "name"))
		default:
			vals = append(vals, "*")
		}
	}
	return listWithMore(vals)
}

// formatSliceEndpoints is the ENDPOINTS cell: the addresses, up to three,
// then "+ N more..."; <unset> for none.
func formatSliceEndpoints(eps []any) string {
	var vals []string
	for _, e := range eps {
		e, _ := e.(map[string]any)
		for _, a := range list(e, "addresses") {
			s, _ := a.(string)
			vals = append(vals, s)
		}
	}
	return listWithMore(vals)
}

// listWithMore joins up to three values, then says how many more there
// are, as kubectl's printers do; <unset> for none.
func listWithMore(vals []string) string {
	const maxShown = 3
	if len(vals) == 0 {
		return "<unset>"
	}
	if len(vals) <= maxShown {
		return strings.Join(vals, ",")
	}
	return fmt.Sprintf("%s + %d more...", strings.Join(vals[:maxShown], ","), len(vals)-maxShown)
}
