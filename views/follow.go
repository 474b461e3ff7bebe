package views

import (
	"time"
)

// Follow is how a run that another process writes looks from here
// (convscope watch): whether its files still change.
type Follow struct {
	On    bool          // the UI follows a run folder another process writes
	Stale bool          // nothing in it changed for a while
	Since time.Duration // since a file of the run last changed
	Hint  string        // what else is known, e.g. "writer PID 123 not running here"
}

// FollowBadge names f's state, for the header: "● live · updated 4s ago",
// or "◌ stale · no update for 2m10s" and its hint.
func FollowBadge(f Follow, st Styles) string {
	ago := f.Since.Round(time.Second).String()
	if !f.Stale {
		return st.Good.Render("● live") + st.Muted.Render(" · updated "+ago+" ago")
	}
	s := st.Warn.Render("◌ stale") + st.Muted.Render(" · no update for "+ago)
	if f.Hint != "" {
		s += st.Muted.Render(" · " + f.Hint)
	}
	return s
}
