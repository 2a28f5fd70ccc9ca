package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// cratePhase finds the crates to probe when none were named: a git index
// lists them, a sparse index is searched through the authenticated web
// API (the protocol has no way to list index files).
func (a *audit) cratePhase(ctx context.Context) {
	if len(a.specs) > 0 {
		return
	}
	switch {
	case a.auth == "" && a.target.Protocol == protocolSparse:
		a.crateNote = "no crates named, and without a token they cannot be discovered: name some with --crate or --crates-from"
	case a.target.Protocol == protocolGit:
		a.discoverFromGit(ctx)
	default:
		a.discoverBySearch(ctx)
	}
}

// searchAnswer is the web API's search result.
type searchAnswer struct {
	Crates []struct {
		Name       string `json:"name"`
		MaxVersion string `json:"max_version"`
	} `json:"crates"`
	Meta struct {
		Total *int `json:"total"`
	} `json:"meta"`
}

// searchAlphabet are the characters of crate names, the pieces discovery
// builds queries from.
const searchAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_"

// discoverBySearch lists crates through search. The book's search takes
// only q and per_page (at most 100), so when a registry has more crates
// than one page holds, discovery first tries crates.io's page parameter and
// otherwise narrows the query character by character (search matches
// substrings) until it has found as many crates as the registry reports,
// or used --search budget's queries.
func (a *audit) discoverBySearch(ctx context.Context) {
	if a.config == nil || a.config.API == "" {
		a.crateNote = "no crates named, and config.json names no web API to discover them through: name some with --crate or --crates-from"
		return
	}
	api := strings.TrimSuffix(a.config.API, "/")
	if !a.mayCarryToken(api) {
		a.crateNote = "no crates named, and the API is on another origin, which verify does not send the token to: name crates with --crate or trust the origin with --trust-origin"
		return
	}
	d := &discovery{a: a, api: api, found: map[string]string{}, asked: map[string]bool{}}
	first, ok := d.search(ctx, "", 1)
	if !ok {
		a.crateNote = "no crates named, and search did not answer with the token: name some with --crate or --crates-from"
		return
	}
	total := len(first.Crates)
	if first.Meta.Total != nil {
		total = *first.Meta.Total
	}
	if len(d.found) < total {
		d.page(ctx, total)
	}
	if len(d.found) < total {
		d.narrow(ctx, total)
	}
	names := make([]string, 0, len(d.found))
	for _, name := range d.found {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a.specs = append(a.specs, crateSpec{Name: name})
	}
	a.crateFrom = "search"
	a.searchSeen = total
	a.crateNote = fmt.Sprintf("discovered %d of the %d crates the registry reports through the search API (%s)", len(names), total, countOf(d.queries, "query"))
	if len(names) < total {
		a.crateNote += "; name the rest with --crate or --crates-from"
	}
}

// discovery is the state of one search-based discovery.
type discovery struct {
	a       *audit
	api     string
	mu      sync.Mutex
	found   map[string]string // lower-cased name -> name
	asked   map[string]bool
	queries int
}

// search runs one query and adds its crates; ok is false when the registry
// did not answer with a search result.
func (d *discovery) search(ctx context.Context, q string, page int) (searchAnswer, bool) {
	u := d.api + "/api/v1/crates?q=" + url.QueryEscape(q) + "&per_page=100"
	if page > 1 {
		u += fmt.Sprintf("&page=%d", page)
	}
	d.mu.Lock()
	d.queries++
	d.mu.Unlock()
	resp, err := d.a.send(ctx, endpointAPI, request{URL: u, Authorization: d.a.auth})
	var answer searchAnswer
	if err != nil || !isSuccess(resp.Status) || json.Unmarshal(resp.Body, &answer) != nil {
		return answer, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range answer.Crates {
		if validCrateName(c.Name) {
			d.found[strings.ToLower(c.Name)] = c.Name
		}
	}
	return answer, true
}

// page follows crates.io's page parameter while it brings new crates.
func (d *discovery) page(ctx context.Context, total int) {
	for page := 2; len(d.found) < total && d.queries < d.a.opts.SearchBudget; page++ {
		before := len(d.found)
		if _, ok := d.search(ctx, "", page); !ok || len(d.found) == before {
			return
		}
	}
}

// narrow searches ever longer substrings, breadth first. Every crate name
// contains a one-character query; a query with more results than a page
// holds is first extended to the right, which reaches every name that
// contains it anywhere but at its end. Only if crates are still missing is
// it extended to the left as well, which covers the rest.
func (d *discovery) narrow(ctx context.Context, total int) {
	var roots []string
	for _, c := range searchAlphabet {
		roots = append(roots, string(c))
	}
	var full []string
	d.breadthFirst(ctx, total, roots, false, &full)
	if !d.done(total) {
		d.breadthFirst(ctx, total, full, true, nil)
	}
}

// breadthFirst runs the queries of level and the extensions of those with
// more results than a page, level by level, until discovery is done. The
// extensions of the most selective queries (fewest results) go first, as
// they find the most new names per query; discovery stops as soon as it has
// them all. The queries that overflowed are appended to full.
func (d *discovery) breadthFirst(ctx context.Context, total int, level []string, bothSides bool, full *[]string) {
	type candidate struct {
		query       string
		parentTotal int
	}
	var mu sync.Mutex
	for len(level) > 0 && !d.done(total) {
		var next []candidate
		var tasks []func(context.Context)
		overflowed := func(q string, results int) {
			mu.Lock()
			defer mu.Unlock()
			if full != nil {
				*full = append(*full, q)
			}
			for _, c := range searchAlphabet {
				next = append(next, candidate{q + string(c), results})
				if bothSides {
					next = append(next, candidate{string(c) + q, results})
				}
			}
		}
		for _, q := range level {
			if d.asked[q] {
				if bothSides {
					overflowed(q, total) // asked in the first pass: extend it leftwards now
				}
				continue
			}
			d.asked[q] = true
			tasks = append(tasks, func(ctx context.Context) {
				if d.done(total) {
					return
				}
				answer, ok := d.search(ctx, q, 1)
				if ok && answer.Meta.Total != nil && *answer.Meta.Total > len(answer.Crates) {
					overflowed(q, *answer.Meta.Total)
				}
			})
		}
		if room := d.a.opts.SearchBudget - d.queries; len(tasks) > room {
			tasks = tasks[:max(room, 0)]
		}
		d.a.parallel(ctx, tasks)
		sort.SliceStable(next, func(i, j int) bool { return next[i].parentTotal < next[j].parentTotal })
		level = make([]string, 0, len(next))
		for _, c := range next {
			level = append(level, c.query)
		}
	}
}

func (d *discovery) done(total int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.found) >= total || d.queries >= d.a.opts.SearchBudget
}
