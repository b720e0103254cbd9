package password

import "testing"

func TestPassword(t *testing.T) {
	enc := Hash("correct horse")
	cases := []struct {
		name, password, encoded string
		want                    bool
	}{
		{"right password", "correct horse", enc, true},
		{"wrong password", "correct horsE", enc, false},
		{"empty password", "", enc, false},
		{"not a hash", "correct horse", "plain", false},
		{"other algorithm", "correct horse", "$argon2i$" + enc[len("$argon2id$"):], false},
		{"tampered hash", "correct horse", enc[:len(enc)-2] + "AA", false},
		{"absurd cost", "correct horse", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Check(c.password, c.encoded); got != c.want {
				t.Fatalf("Check = %v", got)
			}
		})
	}
	if Hash("correct horse") == enc {
		t.Fatal("two hashes of one password are equal: no salt")
	}
}

func TestCheckNone(t *testing.T) {
	if CheckNone("correct horse") || CheckNone("") {
		t.Fatal("CheckNone matched")
	}
}
