package assessments

import "strconv"

// ParsePeriod reads a period as it comes in a query string or form. Empty
// is 0, "no period chosen"; anything else must be a year that an
// assessment could be of. Every route reads periods through here, so that
// a mistyped year is reported rather than silently widening a filter.
func ParsePeriod(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fieldError("period", "must be a year")
	}
	if n < MinPeriod || n > MaxPeriod {
		return 0, fieldError("period", "must be a year between %d and %d", MinPeriod, MaxPeriod)
	}
	return n, nil
}
