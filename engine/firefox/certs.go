package firefox

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/corslab/corslab/engine"
)

// trustCert, run in the privileged window, makes this profile accept a
// certificate for one host:port, for this run only (a temporary override
// of nsICertOverrideService, never a blanket ignore of certificate
// errors).
const trustCert = `(b64, host, port) => {
  const db = Cc["@mozilla.org/security/x509certdb;1"].getService(Ci.nsIX509CertDB);
  const cert = db.constructX509FromBase64(b64);
  const svc = Cc["@mozilla.org/security/certoverride;1"].getService(Ci.nsICertOverrideService);
  svc.rememberValidityOverride(host, port, {}, cert, true);
  return true;
}`

// trustCerts trusts each of opt.TrustCerts for the named hosts of
// opt.HostMap.
func (b *Browser) trustCerts(ctx context.Context, opt engine.LaunchOptions) error {
	for _, der := range opt.TrustCerts {
		for _, m := range opt.HostMap {
			if m.Host == "*" {
				continue
			}
			params := map[string]any{
				"functionDeclaration": trustCert,
				"target":              map[string]any{"context": b.chrome},
				"awaitPromise":        false,
				"arguments": []any{
					map[string]any{"type": "string", "value": base64.StdEncoding.EncodeToString(der)},
					map[string]any{"type": "string", "value": m.Host},
					map[string]any{"type": "number", "value": m.Port},
				},
			}
			var res evalResult
			if err := b.conn.call(ctx, "script.callFunction", params, &res); err != nil {
				return fmt.Errorf("trusting the lab's certificate for %s:%d: %w", m.Host, m.Port, err)
			}
			if res.Type == "exception" {
				return fmt.Errorf("trusting the lab's certificate for %s:%d: %+v", m.Host, m.Port, res.ExceptionDetails)
			}
		}
	}
	return nil
}
