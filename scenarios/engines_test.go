package scenarios

import (
	"reflect"
	"testing"
)

// TestExpectFor: another engine drops Chromium's engine-specific fields,
// takes the fields engines: sets, and loses preflight_received where it
// sends no preflight.
func TestExpectFor(t *testing.T) {
	yes, no := true, false
	code := "PreflightMissingAllowOriginHeader"
	base := Expect{
		Outcome: OutcomeAllowed, Preflight: &yes, CorsError: &code,
		PreflightReceived: StringMap{"Access-Control-Request-Headers": "accept-language"},
		Engines: map[string]Expect{
			"firefox": {Preflight: &no},
			"other":   {Status: ptrInt(204)},
		},
	}
	tests := []struct {
		engine string
		want   Expect
	}{
		{BaseEngine, Expect{Outcome: OutcomeAllowed, Preflight: &yes, CorsError: &code,
			PreflightReceived: StringMap{"Access-Control-Request-Headers": "accept-language"}}},
		{"firefox", Expect{Outcome: OutcomeAllowed, Preflight: &no}},
		{"other", Expect{Outcome: OutcomeAllowed, Preflight: &yes, Status: ptrInt(204),
			PreflightReceived: StringMap{"Access-Control-Request-Headers": "accept-language"}}},
		{"webkit", Expect{Outcome: OutcomeAllowed, Preflight: &yes,
			PreflightReceived: StringMap{"Access-Control-Request-Headers": "accept-language"}}},
	}
	for _, tt := range tests {
		if got := base.For(tt.engine); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("For(%s) = %+v, want %+v", tt.engine, got, tt.want)
		}
	}
}

func ptrInt(v int) *int { return &v }
