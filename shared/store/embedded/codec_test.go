package embedded

import (
	"testing"

	"github.com/sharkauth/serverless/shared/store/table"
)

// TestCodecGSI2Trailer: an item's GSI2 keys are a trailer, so items written
// before GSI2 existed (no trailer) decode unchanged, and items in GSI2
// round-trip.
func TestCodecGSI2Trailer(t *testing.T) {
	old := table.Item{Key: table.Key{PK: "p", SK: "s"}, GSI1PK: "g", GSI1SK: "h", ExpiresAt: 7, Version: 3, Data: []byte("d")}
	b := encode(old)
	got, err := decode(b)
	if err != nil || got.PK != "p" || got.GSI1SK != "h" || got.GSI2PK != "" || string(got.Data) != "d" || got.Version != 3 {
		t.Fatalf("decode without trailer: %+v %v", got, err)
	}
	in := old
	in.GSI2PK, in.GSI2SK = "g2", "h2"
	got, err = decode(encode(in))
	if err != nil || got.GSI2PK != "g2" || got.GSI2SK != "h2" || got.GSI1PK != "g" || string(got.Data) != "d" {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if _, err := decode(append(encode(in), 1)); err == nil {
		t.Fatal("decoded trailing garbage")
	}
	if _, err := decode(append(b, 9)); err == nil {
		t.Fatal("decoded a truncated trailer")
	}
}
