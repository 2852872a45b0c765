package servers

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestServeTLS(t *testing.T) {
	ctx := context.Background()
	l, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tp, err := l.ServeTLS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var spki string
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, // checked below by SPKI, as Chromium does
		ServerName:         "app.example.com",
		VerifyConnection: func(cs tls.ConnectionState) error {
			sum := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
			spki = base64.StdEncoding.EncodeToString(sum[:])
			return nil
		},
	}}}
	resp, err := client.Get("https://127.0.0.1:" + strconv.Itoa(tp.Port) + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "corslab page") {
		t.Fatalf("status %d, body %q", resp.StatusCode, body)
	}
	if spki != tp.SPKIHash {
		t.Fatalf("served SPKI %s, announced %s", spki, tp.SPKIHash)
	}
}
