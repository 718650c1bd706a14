package labels

import (
	"fmt"
	"strings"
)

type tokenKind int

const (
	tokEOS tokenKind = iota
	tokIdent
	tokIn
	tokNotIn
	tokOpenPar
	tokClosePar
	tokComma
	tokEquals
	tokDoubleEquals
	tokNotEquals
	tokBang
	tokGreater
	tokLess
)

type token struct {
	kind tokenKind
	lit  string
}

// describe names a token in error messages.
func (t token) describe() string {
	if t.kind == tokEOS {
		return "end of string"
	}
	return "'" + t.lit + "'"
}

var singleTokens = map[byte]tokenKind{'=': tokEquals, '!': tokBang, '(': tokOpenPar,
	')': tokClosePar, ',': tokComma, '>': tokGreater, '<': tokLess}

func isSpecial(c byte) bool { return strings.IndexByte("=!(),<>", c) >= 0 }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// lex splits s into tokens. Identifiers are maximal runs of bytes that are
// neither whitespace nor special symbols; "in" and "notin" are keywords.
func lex(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case isSpecial(c):
			two := ""
			if i+1 < len(s) {
				two = s[i : i+2]
			}
			switch {
			case two == "==":
				toks = append(toks, token{tokDoubleEquals, two})
				i += 2
				continue
			case two == "!=":
				toks = append(toks, token{tokNotEquals, two})
				i += 2
				continue
			}
			toks = append(toks, token{singleTokens[c], string(c)})
			i++
		default:
			j := i
			for j < len(s) && !isSpace(s[j]) && !isSpecial(s[j]) {
				j++
			}
			lit := s[i:j]
			kind := tokIdent
			switch lit {
			case "in":
				kind = tokIn
			case "notin":
				kind = tokNotIn
			}
			toks = append(toks, token{kind, lit})
			i = j
		}
	}
	return append(toks, token{kind: tokEOS})
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOS {
		p.pos++
	}
	return t
}

func syntaxError(found token, expected string) error {
	return fmt.Errorf("unable to parse requirement: found %s, expected: %s", found.describe(), expected)
}

// Parse parses a selector in the syntax described in the package
// documentation. The empty string (or only whitespace) gives Everything.
// Errors are prefixed "unable to parse requirement:" and name the token
// found and what was expected, or the invalid key or value.
func Parse(s string) (Selector, error) {
	p := &parser{toks: lex(s)}
	if p.peek().kind == tokEOS {
		return Everything(), nil
	}
	var reqs []Requirement
	for {
		r, err := p.requirement()
		if err != nil {
			return Selector{}, err
		}
		reqs = append(reqs, r)
		switch t := p.next(); t.kind {
		case tokEOS:
			return NewSelector(reqs...), nil
		case tokComma:
		default:
			return Selector{}, syntaxError(t, "',' or 'end of string'")
		}
	}
}

// requirement parses: ["!"] key [op value | ("in"|"notin") "(" values ")"].
func (p *parser) requirement() (Requirement, error) {
	if p.peek().kind == tokBang {
		p.next()
		key := p.next()
		if key.kind != tokIdent {
			return Requirement{}, syntaxError(key, "identifier after '!'")
		}
		return NewRequirement(key.lit, DoesNotExist, nil)
	}
	key := p.next()
	if key.kind != tokIdent {
		return Requirement{}, syntaxError(key, "identifier")
	}
	if k := p.peek().kind; k == tokEOS || k == tokComma {
		return NewRequirement(key.lit, Exists, nil)
	}
	opTok := p.next()
	var op Operator
	switch opTok.kind {
	case tokEquals, tokDoubleEquals:
		op = Equals
	case tokNotEquals:
		op = NotEquals
	case tokGreater:
		op = GreaterThan
	case tokLess:
		op = LessThan
	case tokIn:
		op = In
	case tokNotIn:
		op = NotIn
	default:
		return Requirement{}, syntaxError(opTok, "'=', '!=', '==', 'in', 'notin', '>', '<'")
	}
	var values []string
	if op == In || op == NotIn {
		var err error
		if values, err = p.valueList(); err != nil {
			return Requirement{}, err
		}
	} else {
		// An empty value is allowed: "a=" requires a to be "".
		v := ""
		switch t := p.peek(); t.kind {
		case tokIdent, tokIn, tokNotIn:
			v = p.next().lit
		case tokEOS, tokComma:
		default:
			return Requirement{}, syntaxError(t, "identifier")
		}
		values = []string{v}
	}
	return NewRequirement(key.lit, op, values)
}

// valueList parses "(" [value] ("," [value])* ")"; empty entries are "".
func (p *parser) valueList() ([]string, error) {
	if t := p.next(); t.kind != tokOpenPar {
		return nil, syntaxError(t, "'('")
	}
	if p.peek().kind == tokClosePar {
		p.next()
		return nil, nil
	}
	var vals []string
	for {
		v := ""
		if t := p.peek(); t.kind == tokIdent || t.kind == tokIn || t.kind == tokNotIn {
			v = p.next().lit
		}
		vals = append(vals, v)
		switch t := p.next(); t.kind {
		case tokComma:
		case tokClosePar:
			return vals, nil
		default:
			return nil, syntaxError(t, "',' or ')'")
		}
	}
}
