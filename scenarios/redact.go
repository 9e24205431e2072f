package scenarios

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// userInfoRE finds "scheme://user:password@" in free text; the user and
// password hold no space, quote, slash, '?', '#' or '@'.
var userInfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^\s"'/?#@:]*):([^\s"'/?#@]*)@`)

// RedactText returns text with every URL password removed: the user info of
// each raw URL given (in the forms errors print it: as written, quoted as %q
// quotes it, percent-encoded, and the password alone when it has four
// characters or more), then any "scheme://user:password@" left. Use it on
// messages that may embed a URL, such as the URL parser's own errors
// (parse "http://user:pw@host:abc": invalid port), which quote the input
// even when it does not parse.
func RedactText(text string, rawURLs ...string) string {
	for _, raw := range rawURLs {
		for _, form := range secretForms(raw) {
			text = strings.ReplaceAll(text, form, Redacted)
		}
	}
	return userInfoRE.ReplaceAllString(text, "${1}${2}:"+Redacted+"@")
}

// secretForms lists the ways raw's user info and password can appear in a
// message, longest first; nil when raw has no password.
func secretForms(raw string) []string {
	rest := raw
	if i := strings.Index(raw, "://"); i >= 0 {
		rest = raw[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return nil
	}
	info := rest[:at]
	user, pass, ok := strings.Cut(info, ":")
	if !ok || pass == "" {
		return nil
	}
	quoted := strconv.Quote(info)
	forms := []string{info, quoted[1 : len(quoted)-1], url.UserPassword(user, pass).String()}
	if len(pass) >= 4 {
		forms = append(forms, pass, url.QueryEscape(pass), url.PathEscape(pass))
	}
	return forms
}

// RedactError returns err with its message passed through RedactText (nil
// for nil). errors.Is still sees the errors err wraps (context.Canceled, a
// sentinel), but the wrapped errors themselves are not reachable through it,
// nor visible to a formatter that prints an error's fields (Gomega's failure
// messages do), so their unredacted text cannot be printed by accident.
func RedactError(err error, rawURLs ...string) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: RedactText(err.Error(), rawURLs...), is: func(target error) bool { return errors.Is(err, target) }}
}

type redactedError struct {
	msg string
	is  func(target error) bool // closes over the original error, which no field shows
}

func (e *redactedError) Error() string { return e.msg }

// Is reports whether the original error's chain holds target.
func (e *redactedError) Is(target error) bool { return e.is(target) }
