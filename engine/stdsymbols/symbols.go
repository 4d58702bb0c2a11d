// Package stdsymbols exports the Go standard library of the toolchain that
// builds galley to the interpreter.
//
// yaegi's own tables describe Go 1.22; these are regenerated from the
// installed toolchain so cells see the current API (strings.SplitSeq,
// sync.WaitGroup.Go, ...). Generic packages (cmp, iter, maps, slices,
// unique) have no compiled symbols to export; the engine provides them as
// interpreted source instead.
//
// Regenerate with `go generate ./engine/stdsymbols`; TestFresh fails
// when the committed tables differ from what the toolchain produces.
package stdsymbols

import "reflect"

// Symbols holds the exported symbols of each package, keyed by
// "importpath/name" as interp.Use expects.
var Symbols = map[string]map[string]reflect.Value{}

//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols archive/tar archive/zip bufio bytes compress/bzip2 compress/flate compress/gzip compress/lzw
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols compress/zlib container/heap container/list container/ring context crypto crypto/aes crypto/cipher
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols crypto/des crypto/dsa crypto/ecdh crypto/ecdsa crypto/ed25519 crypto/elliptic crypto/hkdf crypto/hmac
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols crypto/md5 crypto/pbkdf2 crypto/rand crypto/rc4 crypto/rsa crypto/sha1 crypto/sha256 crypto/sha3
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols crypto/sha512 crypto/subtle crypto/tls crypto/x509 crypto/x509/pkix database/sql database/sql/driver debug/buildinfo
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols debug/dwarf debug/elf debug/gosym debug/macho debug/pe debug/plan9obj embed encoding
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols encoding/ascii85 encoding/asn1 encoding/base32 encoding/base64 encoding/binary encoding/csv encoding/gob encoding/hex
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols encoding/json encoding/pem encoding/xml errors expvar flag fmt hash
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols hash/adler32 hash/crc32 hash/crc64 hash/fnv hash/maphash html html/template image
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols image/color image/color/palette image/draw image/gif image/jpeg image/png index/suffixarray io
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols io/fs io/ioutil log log/slog math math/big math/bits math/cmplx
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols math/rand math/rand/v2 mime mime/multipart mime/quotedprintable net net/http net/http/cgi
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols net/http/cookiejar net/http/fcgi net/http/httptest net/http/httptrace net/http/httputil net/http/pprof net/mail net/netip
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols net/rpc net/rpc/jsonrpc net/smtp net/textproto net/url os os/exec os/signal
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols os/user path path/filepath reflect regexp regexp/syntax runtime runtime/debug
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols runtime/metrics runtime/pprof runtime/trace sort strconv strings sync sync/atomic
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols testing testing/cryptotest testing/fstest testing/iotest testing/quick testing/slogtest text/scanner text/tabwriter
//go:generate go run ../../stdlib/symbols/symgen/cmd/symgen -pkg stdsymbols text/template text/template/parse time time/tzdata unicode unicode/utf16 unicode/utf8
