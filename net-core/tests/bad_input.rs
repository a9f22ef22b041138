//! Bad input, one table per public entry point that takes untyped (`Arg`) or range-limited
//! input: `validate_port`, `ConnectArgs::validate`, `ListenArgs::validate` and `shorthand`,
//! `validate_timeout`, `SocketAddress` (`from_init`, `new`, `parse`, `parse_family`), the
//! `BlockList` methods that take text or prefixes, and IPC paths over `sun_path` on
//! `Socket::connect` and `Server::listen`.
//!
//! Each row is written as the JavaScript call it stands for, with Node 26's answer: the error
//! `code` and the message (net-core claims Node's texts for all of these), or what was accepted.
//! The `node` column is checked against real Node, not guessed:
//!
//! ```sh
//! BAD_INPUT_DUMP=/tmp/bad_input.jsonl cargo test -p net-core --test bad_input dump_rows
//! .tools/node26/bin/node --expose-internals net-core/tests/data/check_bad_input.js /tmp/bad_input.jsonl
//! ```
//!
//! Rows where net-core answers otherwise keep Node's answer and carry `.ours(...)` with ours: the
//! test asserts that we still answer exactly that (a fix then fails the test, asking for the mark
//! to go), and the list at the bottom of the file names every one of them.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use net_core::{
    BlockList, ConnectArgs, ConnectTarget, Endpoint, Family, ListenArgs, ListenTarget, NetError, Server,
    ServerAction, ServerEvent, ServerOptions, Socket, SocketAction, SocketAddress, SocketAddressInit,
    SocketEvent, SocketOptions, parse_family, validate_port, validate_timeout,
};

// ---------------------------------------------------------------------------------------------
// Answers and rows.

/// What a call answered.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// Accepted; a short rendering of the result (the same rendering on both sides).
    Ok(String),
    /// Refused. `code` is `None` for Node's `SyntaxError` (no code); `message` `None` means the
    /// message is not compared.
    Err { code: Option<String>, message: Option<String> },
    /// Our code panicked (Node never does on these rows).
    Panic(String),
}

fn ok(rendering: &str) -> Answer {
    Answer::Ok(rendering.to_owned())
}

fn err(code: &str, message: &str) -> Answer {
    Answer::Err { code: Some(code.to_owned()), message: Some(message.to_owned()) }
}

/// Refused with this code; the message is not compared (see the row's comment for why).
fn code_only(code: &str) -> Answer {
    Answer::Err { code: Some(code.to_owned()), message: None }
}

/// Node's `JSON.parse` `SyntaxError`: no `code`.
fn syntax_error() -> Answer {
    Answer::Err { code: None, message: None }
}

#[allow(dead_code)] // for a row where net-core panics; none does now
fn panics(message: &str) -> Answer {
    Answer::Panic(message.to_owned())
}

impl Answer {
    fn from_result<T>(r: Result<T, NetError>, render: impl FnOnce(T) -> String) -> Self {
        match r {
            Ok(v) => Self::Ok(render(v)),
            Err(e) => Self::from_error(&e),
        }
    }

    fn from_error(e: &NetError) -> Self {
        Self::Err { code: Some(e.code().to_owned()), message: Some(e.message().to_owned()) }
    }

    /// Whether `got` is this answer (`None` fields match anything).
    fn matches(&self, got: &Self) -> bool {
        match (self, got) {
            (Self::Ok(a), Self::Ok(b)) => a == b,
            (Self::Err { code, message }, Self::Err { code: c, message: m }) => {
                code == c && (message.is_none() || message == m)
            }
            (Self::Panic(a), Self::Panic(b)) => b.contains(a.as_str()),
            _ => false,
        }
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Ok(v) => serde_json::json!({ "ok": v }),
            Self::Err { code, message } => serde_json::json!({ "code": code, "message": message }),
            Self::Panic(m) => serde_json::json!({ "panic": m }),
        }
    }
}

struct Row {
    /// The call, in JavaScript (the table says which function).
    input: &'static str,
    /// Node 26's answer.
    node: Answer,
    /// Ours, where it differs from Node's (listed at the bottom of the file).
    ours: Option<Answer>,
}

fn r(input: &'static str, node: Answer) -> Row {
    Row { input, node, ours: None }
}

impl Row {
    fn ours(mut self, ours: Answer) -> Self {
        self.ours = Some(ours);
        self
    }
}

/// Run every row of a table; report all problems at once.
fn check(table: &str, rows: Vec<Row>, eval: impl Fn(&str) -> Answer) {
    let mut problems = Vec::new();
    for row in &rows {
        let got = catch_unwind(AssertUnwindSafe(|| eval(row.input))).unwrap_or_else(|p| {
            let text = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            Answer::Panic(text)
        });
        match &row.ours {
            None if !row.node.matches(&got) => {
                problems.push(format!("{table} {}:\n    node {:?}\n    ours {got:?}", row.input, row.node))
            }
            Some(_) if row.node.matches(&got) => problems.push(format!(
                "{table} {}: now agrees with Node ({got:?}); drop its .ours() and its line at the bottom",
                row.input
            )),
            Some(known) if !known.matches(&got) => problems.push(format!(
                "{table} {}: differs from Node in a new way:\n    node  {:?}\n    known {known:?}\n    ours  {got:?}",
                row.input, row.node
            )),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{} rows wrong:\n{}", problems.len(), problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The inputs are JavaScript literals; a small reader turns them into values.

mod js {
    /// A JavaScript value as written in a row.
    #[derive(Debug, Clone, PartialEq)]
    pub(crate) enum Value {
        Undefined,
        Null,
        Bool(bool),
        Number(f64),
        Str(String),
        Object(Vec<(String, Self)>),
    }

    impl Value {
        pub(crate) fn arg(&self) -> net_core::Arg<'_> {
            match self {
                Self::Undefined => net_core::Arg::Undefined,
                Self::Null => net_core::Arg::Null,
                Self::Bool(b) => net_core::Arg::Bool(*b),
                Self::Number(n) => net_core::Arg::Number(*n),
                Self::Str(s) => net_core::Arg::Str(s),
                Self::Object(_) => panic!("an object is no Arg"),
            }
        }

        pub(crate) fn str(&self) -> &str {
            match self {
                Self::Str(s) => s,
                other => panic!("not a string: {other:?}"),
            }
        }

        pub(crate) fn num(&self) -> f64 {
            match self {
                Self::Number(n) => *n,
                other => panic!("not a number: {other:?}"),
            }
        }

        /// A property of an object literal (`undefined` when absent).
        pub(crate) fn get(&self, key: &str) -> &Self {
            let Self::Object(props) = self else { panic!("not an object: {self:?}") };
            props.iter().find(|(k, _)| k == key).map_or(&Self::Undefined, |(_, v)| v)
        }

        pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
            let Self::Object(props) = self else { panic!("not an object: {self:?}") };
            props.iter().map(|(k, _)| k.as_str())
        }
    }

    struct Reader<'a> {
        s: &'a [u8],
        text: &'a str,
        at: usize,
    }

    impl Reader<'_> {
        fn ws(&mut self) {
            while self.at < self.s.len() && self.s[self.at].is_ascii_whitespace() {
                self.at += 1;
            }
        }

        fn eat(&mut self, c: u8) -> bool {
            self.ws();
            if self.s.get(self.at) == Some(&c) {
                self.at += 1;
                true
            } else {
                false
            }
        }

        fn expect(&mut self, c: u8) {
            assert!(self.eat(c), "expected {:?} at {} in {:?}", c as char, self.at, self.text);
        }

        fn ident(&mut self) -> String {
            self.ws();
            let start = self.at;
            while self.at < self.s.len()
                && (self.s[self.at].is_ascii_alphanumeric() || self.s[self.at] == b'_')
            {
                self.at += 1;
            }
            self.text[start..self.at].to_owned()
        }

        fn string(&mut self, quote: u8) -> String {
            let mut out = String::new();
            let mut chars = self.text[self.at..].char_indices();
            loop {
                let (i, c) = chars.next().unwrap_or_else(|| panic!("open string in {:?}", self.text));
                if c as u32 == u32::from(quote) {
                    self.at += i + 1;
                    return out;
                }
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                let (_, e) = chars.next().expect("escape");
                let mut hex = |n: usize| {
                    let h: String = (0..n).map(|_| chars.next().expect("hex digit").1).collect();
                    char::from_u32(u32::from_str_radix(&h, 16).expect("hex")).expect("scalar value")
                };
                out.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    'x' => hex(2),
                    'u' => hex(4),
                    other => other,
                });
            }
        }

        fn value(&mut self) -> Value {
            self.ws();
            match self.s.get(self.at) {
                Some(q @ (b'\'' | b'"')) => {
                    let q = *q;
                    self.at += 1;
                    Value::Str(self.string(q))
                }
                Some(b'{') => {
                    self.at += 1;
                    let mut props = Vec::new();
                    while !self.eat(b'}') {
                        let key = self.ident();
                        self.expect(b':');
                        props.push((key, self.value()));
                        let _ = self.eat(b',');
                    }
                    Value::Object(props)
                }
                Some(b'-' | b'.' | b'0'..=b'9') => {
                    let start = self.at;
                    self.at += 1;
                    while self.at < self.s.len()
                        && (self.s[self.at].is_ascii_alphanumeric() || matches!(self.s[self.at], b'.' | b'+'))
                        || (self.at > start && matches!(self.s[self.at - 1], b'e') && self.s[self.at] == b'-')
                    {
                        self.at += 1;
                    }
                    let t = &self.text[start..self.at];
                    Value::Number(match t {
                        "-Infinity" => f64::NEG_INFINITY,
                        _ => t.parse().unwrap_or_else(|_| panic!("number {t:?}")),
                    })
                }
                _ => match self.ident().as_str() {
                    "undefined" => Value::Undefined,
                    "null" => Value::Null,
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "NaN" => Value::Number(f64::NAN),
                    "Infinity" => Value::Number(f64::INFINITY),
                    other => panic!("unknown literal {other:?} in {:?}", self.text),
                },
            }
        }

        fn list(&mut self) -> Vec<Value> {
            let mut out = Vec::new();
            self.ws();
            while self.at < self.s.len() && self.s[self.at] != b')' {
                out.push(self.value());
                if !self.eat(b',') {
                    break;
                }
                self.ws();
            }
            out
        }
    }

    /// `a, b, c`.
    pub(crate) fn values(text: &str) -> Vec<Value> {
        let mut r = Reader { s: text.as_bytes(), text, at: 0 };
        let out = r.list();
        r.ws();
        assert_eq!(r.at, text.len(), "trailing text in {text:?}");
        out
    }

    /// One value.
    pub(crate) fn value(text: &str) -> Value {
        let mut all = values(text);
        assert_eq!(all.len(), 1, "one value expected in {text:?}");
        all.remove(0)
    }

    /// `method(a, b, c)`.
    pub(crate) fn call(text: &str) -> (String, Vec<Value>) {
        let mut r = Reader { s: text.as_bytes(), text, at: 0 };
        let name = r.ident();
        r.expect(b'(');
        let args = r.list();
        r.expect(b')');
        r.ws();
        assert_eq!(r.at, text.len(), "trailing text in {text:?}");
        (name, args)
    }
}

use js::Value;

// ---------------------------------------------------------------------------------------------
// validate_port(port, name, allowZero): Node's internal `validatePort`.

const BAD_PORT: &str = "ERR_SOCKET_BAD_PORT";

fn port_rows() -> Vec<Row> {
    let bad = |msg: &str| err(BAD_PORT, msg);
    vec![
        r("65536, 'Port', true", bad("Port should be >= 0 and < 65536. Received type number (65536).")),
        r("-1, 'Port', true", bad("Port should be >= 0 and < 65536. Received type number (-1).")),
        r("1.5, 'Port', true", bad("Port should be >= 0 and < 65536. Received type number (1.5).")),
        r("NaN, 'Port', true", bad("Port should be >= 0 and < 65536. Received type number (NaN).")),
        r("Infinity, 'Port', true", bad("Port should be >= 0 and < 65536. Received type number (Infinity).")),
        r(
            "4294967296, 'Port', true",
            bad("Port should be >= 0 and < 65536. Received type number (4294967296)."),
        ),
        r(
            "65535.0000000001, 'Port', true",
            bad("Port should be >= 0 and < 65536. Received type number (65535.0000000001)."),
        ),
        r("1e21, 'Port', true", bad("Port should be >= 0 and < 65536. Received type number (1e+21)."))
            .ours(bad("Port should be >= 0 and < 65536. Received type number (1000000000000000000000).")),
        r("1.5e-7, 'Port', true", bad("Port should be >= 0 and < 65536. Received type number (1.5e-7)."))
            .ours(bad("Port should be >= 0 and < 65536. Received type number (0.00000015).")),
        r("true, 'Port', true", bad("Port should be >= 0 and < 65536. Received type boolean (true).")),
        r("null, 'Port', true", bad("Port should be >= 0 and < 65536. Received null.")),
        r("undefined, 'Port', true", bad("Port should be >= 0 and < 65536. Received undefined.")),
        r("'abc', 'Port', true", bad("Port should be >= 0 and < 65536. Received type string ('abc').")),
        r("'', 'Port', true", bad("Port should be >= 0 and < 65536. Received type string ('').")),
        r("' ', 'Port', true", bad("Port should be >= 0 and < 65536. Received type string (' ').")),
        r("'-80', 'Port', true", bad("Port should be >= 0 and < 65536. Received type string ('-80').")),
        r("'5e-1', 'Port', true", bad("Port should be >= 0 and < 65536. Received type string ('5e-1').")),
        r(
            "'4294967296', 'Port', true",
            bad("Port should be >= 0 and < 65536. Received type string ('4294967296')."),
        ),
        r(
            "'Infinity', 'Port', true",
            bad("Port should be >= 0 and < 65536. Received type string ('Infinity')."),
        ),
        // JavaScript's trim() removes U+FEFF; a port of only that is blank.
        r(
            "'\\ufeff', 'Port', true",
            bad("Port should be >= 0 and < 65536. Received type string ('\u{feff}')."),
        ),
        r(
            "'\\u200b80', 'Port', true",
            bad("Port should be >= 0 and < 65536. Received type string ('\u{200b}80')."),
        ),
        r(
            "'\\u180e80', 'Port', true",
            bad("Port should be >= 0 and < 65536. Received type string ('\u{180e}80')."),
        ),
        // The quotes are util.inspect's (double around a single quote); the text is not escaped.
        r("'a\\'b', 'Port', true", bad("Port should be >= 0 and < 65536. Received type string (\"a'b\")."))
            .ours(bad("Port should be >= 0 and < 65536. Received type string ('a'b').")),
        r("' \\n', 'Port', true", bad("Port should be >= 0 and < 65536. Received type string (' \n').")),
        r("'\\x00', 'Port', true", bad("Port should be >= 0 and < 65536. Received type string ('\0').")),
        r(
            "'abcdefghijklmnopqrstuvwxyz0123', 'Port', true",
            bad("Port should be >= 0 and < 65536. Received type string ('abcdefghijklmnopqrstuvwxy...')."),
        ),
        r(
            "'éééééééééééééééééééééééééééééé', 'Port', true",
            bad("Port should be >= 0 and < 65536. Received type string ('ééééééééééééééééééééééééé...')."),
        ),
        // Node cuts after 25 UTF-16 units, here inside a surrogate pair: a message Rust cannot
        // hold. The code still must match.
        r("'😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀', 'Port', true", code_only(BAD_PORT)),
        r(
            "65536, 'options.port', true",
            bad("options.port should be >= 0 and < 65536. Received type number (65536)."),
        ),
        // allowZero false: zero in any spelling is refused, "> 0" in the text.
        r("0, 'Port', false", bad("Port should be > 0 and < 65536. Received type number (0).")),
        r("-0, 'Port', false", bad("Port should be > 0 and < 65536. Received type number (-0)."))
            .ours(bad("Port should be > 0 and < 65536. Received type number (0).")),
        r("'0', 'Port', false", bad("Port should be > 0 and < 65536. Received type string ('0').")),
        r("'-0', 'Port', false", bad("Port should be > 0 and < 65536. Received type string ('-0').")),
        // Accepted.
        r("0, 'Port', true", ok("0")),
        r("-0, 'Port', true", ok("0")),
        r("65535, 'Port', false", ok("65535")),
        r("'0x50', 'Port', true", ok("80")),
        r("'0b1', 'Port', true", ok("1")),
        r("'0o7', 'Port', true", ok("7")),
        r("' 80 ', 'Port', true", ok("80")),
        r("'80\\u00a0', 'Port', true", ok("80")),
        r("'\\u2028 80', 'Port', true", ok("80")),
        r("'+80', 'Port', true", ok("80")),
        r("'1e3', 'Port', true", ok("1000")),
        r("'1.', 'Port', true", ok("1")),
        r("'.5e1', 'Port', true", ok("5")),
    ]
}

fn eval_port(input: &str) -> Answer {
    let v = js::values(input);
    let allow_zero = v[2] == Value::Bool(true);
    Answer::from_result(validate_port(v[0].arg(), v[1].str(), allow_zero), |p| p.to_string())
}

#[test]
fn validate_port_table() {
    check("validatePort", port_rows(), eval_port);
}

// ---------------------------------------------------------------------------------------------
// ConnectArgs::validate: `net.connect(options)`'s synchronous checks. Accepted calls render as
// `tcp` or `ipc <path>` (what Node went on to do: a lookup or TCP attempt, or a pipe attempt).

fn connect_rows() -> Vec<Row> {
    let missing =
        || err("ERR_MISSING_ARGS", "The \"options\" or \"port\" or \"path\" argument must be specified");
    let port_type = |got: &str| {
        err(
            "ERR_INVALID_ARG_TYPE",
            &format!("The \"options.port\" property must be one of type number or string. Received {got}"),
        )
    };
    let bad_port = |got: &str| err(BAD_PORT, &format!("Port should be >= 0 and < 65536. Received {got}."));
    let type_err = |name: &str, ty: &str, got: &str| {
        err("ERR_INVALID_ARG_TYPE", &format!("The \"{name}\" property must be of type {ty}. Received {got}"))
    };
    let family = |got: &str| {
        err(
            "ERR_INVALID_ARG_VALUE",
            &format!("The property 'options.family' must be one of: 0, 4, 6. Received {got}"),
        )
    };
    let attempt_range = |got: &str| {
        err(
            "ERR_OUT_OF_RANGE",
            &format!(
                "The value of \"options.autoSelectFamilyAttemptTimeout\" is out of range. It must be >= 1 && <= 2147483647. Received {got}"
            ),
        )
    };
    let attempt_integer = |got: &str| {
        err(
            "ERR_OUT_OF_RANGE",
            &format!(
                "The value of \"options.autoSelectFamilyAttemptTimeout\" is out of range. It must be an integer. Received {got}"
            ),
        )
    };
    let bad_ip = |got: &str| err("ERR_INVALID_IP_ADDRESS", &format!("Invalid IP address: {got}"));
    vec![
        // Neither port nor path.
        r("{}", missing()),
        r("{port: undefined, path: undefined}", missing()),
        r("{path: null}", missing()),
        r("{host: 5}", missing()),
        // A null port counts as given; it then fails the port's type check.
        r("{port: null}", port_type("null")),
        r("{port: null, path: null}", port_type("null")),
        // path: only a truthy one is a path; a falsy one means TCP (to localhost:0).
        r("{path: 123}", type_err("options.path", "string", "type number (123)")),
        r("{path: true}", type_err("options.path", "string", "type boolean (true)")),
        r("{path: ''}", ok("tcp")),
        r("{path: false}", ok("tcp")),
        r("{path: 0}", ok("tcp")),
        r("{path: '/tmp/nc-bad-input.sock', port: 'abc'}", ok("ipc /tmp/nc-bad-input.sock")),
        r("{path: '/tmp/nc-bad-input.sock', host: 5}", ok("ipc /tmp/nc-bad-input.sock")),
        r("{path: 123, host: 5}", type_err("options.path", "string", "type number (123)")),
        // port.
        r("{port: true}", port_type("type boolean (true)")),
        r("{port: 65536}", bad_port("type number (65536)")),
        r("{port: -1}", bad_port("type number (-1)")),
        r("{port: NaN}", bad_port("type number (NaN)")),
        r("{port: 'abc'}", bad_port("type string ('abc')")),
        r("{port: ''}", bad_port("type string ('')")),
        r("{port: ' '}", bad_port("type string (' ')")),
        r("{port: 0}", ok("tcp")),
        r("{port: '0x50'}", ok("tcp")),
        // host: checked before localAddress, localPort and port.
        r("{port: 80, host: 5}", type_err("options.host", "string", "type number (5)")),
        r("{port: 80, host: true}", type_err("options.host", "string", "type boolean (true)")),
        r("{port: true, host: 5}", type_err("options.host", "string", "type number (5)")),
        r("{port: 'abc', host: 5}", type_err("options.host", "string", "type number (5)")),
        r("{port: 80, host: 5, localPort: 'x'}", type_err("options.host", "string", "type number (5)")),
        r(
            "{port: true, localAddress: 'nope', host: 5}",
            type_err("options.host", "string", "type number (5)"),
        ),
        r("{port: 80, host: ''}", ok("tcp")),
        r("{port: 80, host: null}", ok("tcp")),
        // family: checked by dns.lookup, so last, and only for a host that is not an IP literal.
        r("{port: 80, host: 'localhost', family: 5}", family("5")).ours(family("type number (5)")),
        r("{port: 80, family: 5}", family("5")).ours(family("type number (5)")),
        r("{port: 80, host: 'localhost', family: -1}", family("-1")).ours(family("type number (-1)")),
        r("{port: 80, host: 'localhost', family: 4.5}", family("4.5")).ours(family("type number (4.5)")),
        r("{port: 80, host: 'localhost', family: '4'}", family("'4'")).ours(family("type string ('4')")),
        r("{port: 80, host: 'localhost', family: true}", family("true")).ours(family("type boolean (true)")),
        r("{port: 80, host: 'localhost', family: 5, autoSelectFamily: false}", family("5"))
            .ours(family("type number (5)")),
        // hints: checked by dns.lookup before the family, and only for a host that is looked up.
        r(
            "{port: 80, host: 'localhost', hints: 64}",
            err("ERR_INVALID_ARG_VALUE", "The argument 'hints' is invalid. Received 64"),
        ),
        r(
            "{port: 80, host: 'localhost', hints: -1}",
            err("ERR_INVALID_ARG_VALUE", "The argument 'hints' is invalid. Received 4294967295"),
        ),
        r(
            "{port: 80, host: 'localhost', hints: 1.5}",
            err("ERR_INVALID_ARG_VALUE", "The argument 'hints' is invalid. Received 1"),
        ),
        r(
            "{port: 80, host: 'localhost', hints: 'x'}",
            type_err("options.hints", "number", "type string ('x')"),
        ),
        r(
            "{port: 80, host: 'localhost', hints: true, family: 5}",
            type_err("options.hints", "number", "type boolean (true)"),
        ),
        r(
            "{port: 80, host: 'localhost', hints: 64, family: 5}",
            err("ERR_INVALID_ARG_VALUE", "The argument 'hints' is invalid. Received 64"),
        ),
        r("{port: 80, host: 'localhost', hints: 56}", ok("tcp")),
        r("{port: 80, host: 'localhost', hints: null}", ok("tcp")),
        r("{port: 80, host: '127.0.0.1', hints: 64}", ok("tcp")),
        r("{port: 80, host: '::1', hints: 'x'}", ok("tcp")),
        // Node's socketToDnsFamily maps the strings 'IPv4' and 'IPv6' to 4 and 6.
        r("{port: 80, host: 'localhost', family: 'IPv4'}", ok("tcp")),
        r("{port: 80, host: 'localhost', family: 'IPv6'}", ok("tcp")),
        r("{port: 80, host: 'localhost', family: null}", ok("tcp")),
        r("{port: 80, host: 'localhost', family: 6}", ok("tcp")),
        r("{port: 80, host: '127.0.0.1', family: 5}", ok("tcp")),
        r("{port: 'abc', host: 'localhost', family: 5}", bad_port("type string ('abc')")),
        r(
            "{port: 80, host: 'localhost', family: 7, autoSelectFamily: 'x'}",
            type_err("options.autoSelectFamily", "boolean", "type string ('x')"),
        ),
        r("{port: 80, host: 'localhost', family: 5, autoSelectFamilyAttemptTimeout: 0}", attempt_range("0")),
        // autoSelectFamily.
        r(
            "{port: 80, autoSelectFamily: 'yes'}",
            type_err("options.autoSelectFamily", "boolean", "type string ('yes')"),
        ),
        r(
            "{port: 80, autoSelectFamily: 1}",
            type_err("options.autoSelectFamily", "boolean", "type number (1)"),
        ),
        r("{port: 80, autoSelectFamily: null}", ok("tcp")),
        r(
            "{port: 80, autoSelectFamily: 'x', autoSelectFamilyAttemptTimeout: 0}",
            type_err("options.autoSelectFamily", "boolean", "type string ('x')"),
        ),
        // autoSelectFamilyAttemptTimeout: validateInt32(value, name, 1).
        r("{port: 80, autoSelectFamilyAttemptTimeout: 0}", attempt_range("0")),
        r("{port: 80, autoSelectFamilyAttemptTimeout: -1}", attempt_range("-1")),
        r("{port: 80, autoSelectFamilyAttemptTimeout: 2147483648}", attempt_range("2147483648")),
        r("{port: 80, autoSelectFamilyAttemptTimeout: 1.5}", attempt_integer("1.5"))
            .ours(attempt_range("1.5")),
        r("{port: 80, autoSelectFamilyAttemptTimeout: NaN}", attempt_integer("NaN"))
            .ours(attempt_range("NaN")),
        r("{port: 80, autoSelectFamilyAttemptTimeout: Infinity}", attempt_integer("Infinity"))
            .ours(attempt_range("Infinity")),
        r(
            "{port: 80, autoSelectFamilyAttemptTimeout: '10'}",
            type_err("options.autoSelectFamilyAttemptTimeout", "number", "type string ('10')"),
        ),
        r(
            "{port: 80, autoSelectFamilyAttemptTimeout: true}",
            type_err("options.autoSelectFamilyAttemptTimeout", "number", "type boolean (true)"),
        ),
        r("{port: 80, autoSelectFamilyAttemptTimeout: null}", ok("tcp")),
        r("{port: 80, autoSelectFamilyAttemptTimeout: 1}", ok("tcp")),
        // localAddress: `if (localAddress && !isIP(localAddress))`: falsy values pass, any other
        // value is stringified.
        r("{port: 80, localAddress: 'nope'}", bad_ip("nope")),
        r("{port: 80, localAddress: '1.2.3.04'}", bad_ip("1.2.3.04")),
        r("{port: true, localAddress: 'nope'}", bad_ip("nope")),
        r("{port: 80, localAddress: 5}", bad_ip("5")),
        r("{port: 80, localAddress: true}", bad_ip("true")),
        r("{port: 80, localAddress: ''}", ok("tcp")),
        r("{port: 80, localAddress: false}", ok("tcp")),
        r("{port: 80, localAddress: null}", ok("tcp")),
        // isIP() takes a zone; the bind fails later (EINVAL) or works.
        r("{port: 80, host: '::1', localAddress: '::1%lo'}", ok("tcp")),
        r("{port: 80, localAddress: '127.0.0.1'}", ok("tcp")),
        // localPort: `if (localPort) validateNumber(localPort)`: a type check only; no range.
        r("{port: 80, localPort: '80'}", type_err("options.localPort", "number", "type string ('80')")),
        r("{port: 80, localPort: true}", type_err("options.localPort", "number", "type boolean (true)")),
        r("{port: true, localPort: 'x'}", type_err("options.localPort", "number", "type string ('x')")),
        r("{port: 80, localPort: 70000}", ok("tcp")).ours(err(
            BAD_PORT,
            "options.localPort should be >= 0 and < 65536. Received type number (70000).",
        )),
        r("{port: 80, localPort: -1}", ok("tcp"))
            .ours(err(BAD_PORT, "options.localPort should be >= 0 and < 65536. Received type number (-1).")),
        r("{port: 80, localPort: 1.5}", ok("tcp"))
            .ours(err(BAD_PORT, "options.localPort should be >= 0 and < 65536. Received type number (1.5).")),
        r("{port: 80, localPort: NaN}", ok("tcp")),
        r("{port: 80, localPort: false}", ok("tcp")),
        r("{port: 80, localPort: ''}", ok("tcp")),
        r("{port: 80, localPort: 0}", ok("tcp")),
        r("{port: 80, localPort: null}", ok("tcp")),
    ]
}

fn connect_args(v: &Value) -> ConnectArgs<'_> {
    for key in v.keys() {
        assert!(
            [
                "port",
                "host",
                "path",
                "family",
                "autoSelectFamily",
                "autoSelectFamilyAttemptTimeout",
                "localAddress",
                "localPort",
                "hints"
            ]
            .contains(&key),
            "ConnectArgs has no {key}"
        );
    }
    ConnectArgs {
        port: v.get("port").arg(),
        host: v.get("host").arg(),
        path: v.get("path").arg(),
        family: v.get("family").arg(),
        auto_select_family: v.get("autoSelectFamily").arg(),
        auto_select_family_attempt_timeout: v.get("autoSelectFamilyAttemptTimeout").arg(),
        local_address: v.get("localAddress").arg(),
        local_port: v.get("localPort").arg(),
        hints: v.get("hints").arg(),
        has_lookup: false,
    }
}

fn eval_connect(input: &str) -> Answer {
    let v = js::value(input);
    Answer::from_result(connect_args(&v).validate(), |t| match t {
        ConnectTarget::Tcp(_) => "tcp".to_owned(),
        ConnectTarget::Ipc(p) => format!("ipc {}", p.display()),
    })
}

#[test]
fn connect_args_table() {
    check("net.connect", connect_rows(), eval_connect);
}

// ---------------------------------------------------------------------------------------------
// ListenArgs::validate (`server.listen(options)`) and ListenArgs::shorthand (`server.listen(x)`).

fn render_listen(t: ListenTarget) -> String {
    match t {
        ListenTarget::Tcp { .. } => "tcp".to_owned(),
        ListenTarget::Ipc(p) => format!("ipc {}", p.display()),
    }
}

fn listen_rows() -> Vec<Row> {
    let must_have = |got: &str| {
        err(
            "ERR_INVALID_ARG_VALUE",
            &format!("The argument 'options' must have the property \"port\" or \"path\". Received {got}"),
        )
    };
    let invalid = |got: &str| {
        err("ERR_INVALID_ARG_VALUE", &format!("The argument 'options' is invalid. Received {got}"))
    };
    let bad_port =
        |got: &str| err(BAD_PORT, &format!("options.port should be >= 0 and < 65536. Received {got}."));
    let hostname = |got: &str| {
        err(
            "ERR_INVALID_ARG_TYPE",
            &format!("The \"hostname\" argument must be of type string. Received {got}"),
        )
    };
    vec![
        r("{}", must_have("{}")),
        r("{host: '127.0.0.1'}", must_have("{ host: '127.0.0.1' }")),
        r("{host: 5}", must_have("{ host: 5 }")),
        r("{port: 65536}", bad_port("type number (65536)")),
        r("{port: 1.5}", bad_port("type number (1.5)")),
        r("{port: -1}", bad_port("type number (-1)")),
        r("{port: NaN}", bad_port("type number (NaN)")),
        r("{port: 'abc'}", bad_port("type string ('abc')")),
        r("{port: ''}", bad_port("type string ('')")),
        r("{port: ' '}", bad_port("type string (' ')")),
        r("{port: '0x10000'}", bad_port("type string ('0x10000')")),
        r("{port: '1e5'}", bad_port("type string ('1e5')")),
        r("{port: '\\ufeff'}", bad_port("type string ('\u{feff}')")),
        r("{port: 'abc', path: '/tmp/nc-bad-input.sock'}", bad_port("type string ('abc')")),
        // The port is checked before the host.
        r("{port: 70000, host: 5}", bad_port("type number (70000)")),
        r("{port: 0, host: 5}", hostname("type number (5)")),
        r("{port: 0, host: true}", hostname("type boolean (true)")),
        // A port or path of another type: "is invalid", showing the options.
        r("{port: true}", invalid("{ port: true }")),
        r("{port: false}", invalid("{ port: false }")),
        r("{port: true, host: 'h'}", invalid("{ port: true, host: 'h' }")),
        r("{path: 5}", invalid("{ path: 5 }")),
        r("{path: true}", invalid("{ path: true }")),
        r("{path: null}", invalid("{ path: null }")),
        r("{port: true, path: 5}", invalid("{ port: true, path: 5 }")),
        r("{path: 5, host: 'x'}", invalid("{ path: 5, host: 'x' }")),
        r("{path: ''}", invalid("{ path: '' }")),
        // Accepted: a null port means any port.
        r("{port: null}", ok("tcp")),
        r("{port: null, host: '127.0.0.1'}", ok("tcp")),
        r("{port: null, path: null}", ok("tcp")),
        r("{port: 0}", ok("tcp")),
        r("{port: 0, host: null}", ok("tcp")),
        r("{port: '0'}", ok("tcp")),
        r("{path: '/tmp/nc-bad-input.sock'}", ok("ipc /tmp/nc-bad-input.sock")),
    ]
}

fn eval_listen(input: &str) -> Answer {
    let v = js::value(input);
    for key in v.keys() {
        assert!(["port", "host", "path"].contains(&key), "ListenArgs has no {key}");
    }
    let args = ListenArgs { port: v.get("port").arg(), host: v.get("host").arg(), path: v.get("path").arg() };
    Answer::from_result(args.validate(), render_listen)
}

#[test]
fn listen_args_table() {
    check("server.listen", listen_rows(), eval_listen);
}

fn listen_shorthand_rows() -> Vec<Row> {
    let bad_port =
        |got: &str| err(BAD_PORT, &format!("options.port should be >= 0 and < 65536. Received {got}."));
    let invalid = |got: &str| {
        err("ERR_INVALID_ARG_VALUE", &format!("The argument 'options' is invalid. Received {got}"))
    };
    vec![
        r("65536", bad_port("type number (65536)")),
        r("-1", bad_port("type number (-1)")),
        r("1.5", bad_port("type number (1.5)")),
        r("NaN", bad_port("type number (NaN)")),
        r("'65536'", bad_port("type string ('65536')")),
        r("'1.5'", bad_port("type string ('1.5')")),
        // Node reads a string as a port when Number(x) >= 0: a blank string is port 0's
        // spelling, and fails validatePort.
        r("''", bad_port("type string ('')")),
        r("' '", bad_port("type string (' ')")),
        r("'\\ufeff'", bad_port("type string ('\u{feff}')")),
        r("true", invalid("{ port: true }")),
        r("false", invalid("{ port: false }")),
        // Accepted.
        r("undefined", ok("tcp")),
        r("null", ok("tcp")),
        r("0", ok("tcp")),
        r("'0'", ok("tcp")),
        r("'0x10'", ok("tcp")),
        r("'8080x'", ok("ipc 8080x")),
        r("'abc'", ok("ipc abc")),
        // A negative number in a string is a pipe name (Number(x) >= 0 fails).
        r("'-1'", ok("ipc -1")),
    ]
}

#[test]
fn listen_shorthand_table() {
    check("server.listen(x)", listen_shorthand_rows(), |input| {
        let v = js::value(input);
        Answer::from_result(ListenArgs::shorthand(v.arg()).validate(), render_listen)
    });
}

// ---------------------------------------------------------------------------------------------
// validate_timeout: `socket.setTimeout(msecs)`.

fn timeout_rows() -> Vec<Row> {
    let range = |got: &str| {
        err(
            "ERR_OUT_OF_RANGE",
            &format!(
                "The value of \"msecs\" is out of range. It must be a non-negative finite number. Received {got}"
            ),
        )
    };
    let ty = |got: &str| {
        err("ERR_INVALID_ARG_TYPE", &format!("The \"msecs\" argument must be of type number. Received {got}"))
    };
    vec![
        r("-1", range("-1")),
        r("-0.5", range("-0.5")),
        r("Infinity", range("Infinity")),
        r("-Infinity", range("-Infinity")),
        r("NaN", range("NaN")),
        r("'x'", ty("type string ('x')")),
        r("'100'", ty("type string ('100')")),
        r("true", ty("type boolean (true)")),
        r("null", ty("null")),
        r("undefined", ty("undefined")),
        // Accepted; over 2^31-1 ms Node warns and uses 2^31-1.
        r("0", ok("ok")),
        r("-0", ok("ok")),
        r("1.5", ok("ok")),
        r("1e-300", ok("ok")),
        r("2147483648", ok("ok")),
        // The Duration fits, the deadline does not: `Instant + Duration` overflows.
        r("1e22", ok("ok")),
        // Duration::from_secs_f64 overflows: see the list at the bottom.
        r("1e300", ok("ok")),
        r("1.7976931348623157e308", ok("ok")),
    ]
}

#[test]
fn validate_timeout_table() {
    // What a driver does for `socket.setTimeout(msecs)`: validate, then arm the socket's timer.
    check("socket.setTimeout", timeout_rows(), |input| {
        let now = Instant::now();
        Answer::from_result(validate_timeout(js::value(input).arg()), |d| {
            Socket::new(SocketOptions::default(), now).set_timeout(now, d);
            "ok".to_owned()
        })
    });
}

// ---------------------------------------------------------------------------------------------
// SocketAddress: `new net.SocketAddress(options)` (from_init and the typed new), `parse`, and
// the family names. Complements data/socket_address.jsonl with the order of the checks, edge
// values and message texts. Accepted addresses render as `address port family flowlabel`.

fn render_address(a: SocketAddress) -> String {
    format!("{} {} {} {}", a.address(), a.port(), a.family().as_str().to_ascii_lowercase(), a.flowlabel())
}

fn socket_address_rows() -> Vec<Row> {
    let family = |got: &str| {
        err("ERR_INVALID_ARG_VALUE", &format!("The property 'options.family' is invalid. Received {got}"))
    };
    let address = || err("ERR_INVALID_ADDRESS", "Invalid socket address");
    let flow = |must: &str, got: &str| {
        err(
            "ERR_OUT_OF_RANGE",
            &format!("The value of \"options.flowlabel\" is out of range. It must be {must}. Received {got}"),
        )
    };
    vec![
        // Order: family, address type, port, flow label, then the address itself.
        r("{family: 5, address: 5}", family("5")),
        r(
            "{address: 5, port: 'abc'}",
            err(
                "ERR_INVALID_ARG_TYPE",
                "The \"options.address\" property must be of type string. Received type number (5)",
            ),
        ),
        r(
            "{address: '1.2.3.4', port: 'abc', flowlabel: 'x'}",
            err(BAD_PORT, "options.port should be >= 0 and < 65536. Received type string ('abc')."),
        ),
        r(
            "{address: 'nope', port: 70000}",
            err(BAD_PORT, "options.port should be >= 0 and < 65536. Received type number (70000)."),
        ),
        r("{address: 'nope', flowlabel: -1}", flow(">= 0 && <= 4294967295", "-1")),
        // Flow labels.
        r("{address: '::1', family: 'ipv6', flowlabel: NaN}", flow("an integer", "NaN")),
        r("{address: '::1', family: 'ipv6', flowlabel: Infinity}", flow("an integer", "Infinity"))
            .ours(flow(">= 0 && <= 4294967295", "Infinity")),
        r("{address: '1.2.3.4', flowlabel: 1.5}", flow("an integer", "1.5")),
        r("{address: '::1', family: 'ipv6', flowlabel: -0}", ok("::1 0 ipv6 0")),
        // Family names: 'ipv4'/'ipv6' in any case, nothing else.
        r("{address: '1.2.3.4', family: true}", family("true")),
        r("{family: 'ipv6 '}", family("'ipv6 '")),
        r("{family: ' ipv4'}", family("' ipv4'")),
        r("{family: 'ipv4\\x00'}", family("'ipv4\\x00'")).ours(family("'ipv4\0'")),
        r("{family: 'İPV4'}", family("'İPV4'")),
        r("{address: '1.2.3.4', family: 'IPv4'}", ok("1.2.3.4 0 ipv4 0")),
        r("{address: '::1', family: 'IPv6'}", ok("::1 0 ipv6 0")),
        // Ports.
        r(
            "{address: '1.2.3.4', port: ' '}",
            err(BAD_PORT, "options.port should be >= 0 and < 65536. Received type string (' ')."),
        ),
        r(
            "{address: '1.2.3.4', port: '\\ufeff'}",
            err(BAD_PORT, "options.port should be >= 0 and < 65536. Received type string ('\u{feff}')."),
        ),
        r(
            "{address: '1.2.3.4', port: NaN}",
            err(BAD_PORT, "options.port should be >= 0 and < 65536. Received type number (NaN)."),
        ),
        r("{address: '1.2.3.4', port: '0x50'}", ok("1.2.3.4 80 ipv4 0")),
        r("{address: '1.2.3.4', port: -0}", ok("1.2.3.4 0 ipv4 0")),
        // Addresses: inet_pton after a `%zone` is dropped; C strings end at a NUL.
        r("{address: '1.2.3.4%eth0'}", address()),
        r("{address: '%eth0', family: 'ipv6'}", address()),
        r("{address: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}", address()),
        r("{address: '::1%eth0', family: 'ipv6'}", ok("::1 0 ipv6 0")),
        r("{address: 'fe80::1%25eth0', family: 'ipv6'}", ok("fe80::1 0 ipv6 0")),
        r("{address: '::1%', family: 'ipv6'}", ok("::1 0 ipv6 0")),
        r("{address: '::ffff:1.2.3.4', family: 'ipv6'}", ok("::ffff:1.2.3.4 0 ipv6 0")),
        r("{address: '1.2.3.4\\x00'}", ok("1.2.3.4 0 ipv4 0")).ours(address()),
        r("{address: '1.2.3.4\\x00junk'}", ok("1.2.3.4 0 ipv4 0")).ours(address()),
    ]
}

#[test]
fn socket_address_new_table() {
    check("new SocketAddress", socket_address_rows(), |input| {
        let v = js::value(input);
        for key in v.keys() {
            assert!(["address", "port", "family", "flowlabel"].contains(&key), "no option {key}");
        }
        let init = SocketAddressInit {
            address: v.get("address").arg(),
            port: v.get("port").arg(),
            family: v.get("family").arg(),
            flowlabel: v.get("flowlabel").arg(),
        };
        Answer::from_result(SocketAddress::from_init(init), render_address)
    });
}

/// `SocketAddress::new(address, port, family, flowlabel)` with typed values: only the address
/// text can be bad (flow labels over 20 bits abort Node 26; data/socket_address.jsonl has them).
fn socket_address_typed_rows() -> Vec<Row> {
    let address = || err("ERR_INVALID_ADDRESS", "Invalid socket address");
    vec![
        r("'nope', 80, 'ipv4', 0", address()),
        r("'::1', 80, 'ipv4', 0", address()),
        r("'1.2.3.4', 80, 'ipv6', 0", address()),
        r("'01.2.3.4', 0, 'ipv4', 0", address()),
        r("'1.2.3', 0, 'ipv4', 0", address()),
        r("'', 0, 'ipv6', 0", address()),
        r("'[::1]', 0, 'ipv6', 0", address()),
        r("'1.2.3.4', 65535, 'ipv4', 1048575", ok("1.2.3.4 65535 ipv4 0")),
        r("'::1', 65535, 'ipv6', 1048575", ok("::1 65535 ipv6 1048575")),
    ]
}

fn family_of(s: &str) -> Family {
    parse_family(s, "family").unwrap_or_else(|_| panic!("typed rows take 'ipv4' or 'ipv6', not {s:?}"))
}

#[test]
fn socket_address_typed_table() {
    check("SocketAddress::new", socket_address_typed_rows(), |input| {
        let v = js::values(input);
        let port = u16::try_from(v[1].num() as u32).expect("typed port");
        let flowlabel = v[3].num() as u32;
        Answer::from_result(
            SocketAddress::new(v[0].str(), port, family_of(v[2].str()), flowlabel),
            render_address,
        )
    });
}

/// `SocketAddress.parse(text)`: `undefined` (ours: `None`) for anything that is not an IP
/// address with a valid port, never an error.
fn parse_rows() -> Vec<Row> {
    let none = || ok("none");
    vec![
        r("''", none()),
        r("' '", none()),
        r("'::1'", none()),
        r("'[::1]:65536'", none()),
        r("'host:80'", none()),
        r("'localhost:80'", none()),
        r("'1.2.3.4:80:80'", none()),
        r("'http://1.2.3.4'", none()),
        r("'@'", none()),
        r("'['", none()),
        r("']:1'", none()),
        r("'1.2.3.4:0x50'", none()),
        r("'1.2.3.256'", none()),
        r("'[1.2.3.4]'", none()),
        r("'[::1%eth0]:1'", none()),
        r("'[fe80::1%25eth0]:1'", none()),
        r("'1.2.3.4:99999999999999999999'", none()),
        r("'\\x00'", none()),
        r("'\\x001.2.3.4'", none()),
        r("'[::1]'", ok("::1 0 ipv6 0")),
        r("'1.2.3.4/x'", ok("1.2.3.4 0 ipv4 0")),
        r("'1.2.3.4\\t:80'", ok("1.2.3.4 0 ipv4 0")),
        r("'user@1.2.3.4:5'", ok("1.2.3.4 5 ipv4 0")),
        r("'1.2.3.4:5?x'", ok("1.2.3.4 5 ipv4 0")),
        r("'1.2.3.4:5#x'", ok("1.2.3.4 5 ipv4 0")),
    ]
}

#[test]
fn socket_address_parse_table() {
    check("SocketAddress.parse", parse_rows(), |input| {
        Answer::Ok(
            SocketAddress::parse(js::value(input).str()).map_or_else(|| "none".to_owned(), render_address),
        )
    });
}

/// `parse_family(name, 'options.family')`, as `new SocketAddress({family: name})` checks it.
fn family_rows() -> Vec<Row> {
    let bad = |got: &str| {
        err("ERR_INVALID_ARG_VALUE", &format!("The property 'options.family' is invalid. Received {got}"))
    };
    vec![
        r("'ipv5'", bad("'ipv5'")),
        r("''", bad("''")),
        r("'ipv4 '", bad("'ipv4 '")),
        r("'4'", bad("'4'")),
        r("'İPV4'", bad("'İPV4'")),
        r("'ipv4\\x00'", bad("'ipv4\\x00'")).ours(bad("'ipv4\0'")),
        r("'a\\'b'", bad("\"a'b\"")).ours(bad("'a'b'")),
        r("'IPv4'", ok("ipv4")),
        r("'IPV6'", ok("ipv6")),
    ]
}

#[test]
fn parse_family_table() {
    check("SocketAddress family", family_rows(), |input| {
        Answer::from_result(parse_family(js::value(input).str(), "options.family"), |f| {
            f.as_str().to_ascii_lowercase()
        })
    });
}

// ---------------------------------------------------------------------------------------------
// BlockList: each row is one call on a fresh `new BlockList()`; accepted calls render the
// list's `rules` as JSON. `addRangeIp(a, b)` is `addRange` with two `SocketAddress` objects
// of each address's own family (our `add_range_ip`).

fn block_list_rows() -> Vec<Row> {
    let address = || err("ERR_INVALID_ADDRESS", "Invalid socket address");
    let prefix = |max: u32, got: &str| {
        err(
            "ERR_OUT_OF_RANGE",
            &format!("The value of \"prefix\" is out of range. It must be >= 0 && <= {max}. Received {got}"),
        )
    };
    let before = |a: &str, fam: &str| {
        err(
            "ERR_INVALID_ARG_VALUE",
            &format!(
                "The argument 'start' must come before end. Received SocketAddress {{ address: '{a}', port: 0, family: '{fam}', flowlabel: 0 }}"
            ),
        )
    };
    let cidr_prefix = |c: &str| {
        err(
            "ERR_INVALID_ARG_VALUE",
            &format!("The argument 'cidr' prefix length must be a valid integer. Received '{c}'"),
        )
    };
    let cidr_missing = |c: &str| {
        err(
            "ERR_INVALID_ARG_VALUE",
            &format!(
                "The argument 'cidr' must contain a prefix length (e.g. \"10.0.0.0/8\"). Received '{c}'"
            ),
        )
    };
    let data = |got: &str| {
        err(
            "ERR_INVALID_ARG_TYPE",
            &format!("The \"data\" argument must be of type string or string[]. Received {got}"),
        )
    };
    vec![
        // addAddress.
        r("addAddress('1.2.3')", address()),
        r("addAddress('')", address()),
        r("addAddress('01.2.3.4')", address()),
        r("addAddress('::1', 'ipv4')", address()),
        r("addAddress('1.2.3.4', 'ipv6')", address()),
        r(
            "addAddress('1.2.3.4', 'ipv5')",
            err("ERR_INVALID_ARG_VALUE", "The property 'options.family' is invalid. Received 'ipv5'"),
        ),
        r("addAddress('::1%lo', 'ipv6')", ok(r#"["Address: IPv6 ::1"]"#)),
        r("addAddress('1.2.3.4\\x00')", ok(r#"["Address: IPv4 1.2.3.4"]"#)).ours(address()),
        r("addAddress('1.2.3.4\\x00junk')", ok(r#"["Address: IPv4 1.2.3.4"]"#)).ours(address()),
        r("removeAddress('x')", address()),
        // addRange.
        r("addRange('1.2.3.5', '1.2.3.4')", before("1.2.3.5", "ipv4")),
        r("addRange('::2', '::1', 'ipv6')", before("::2", "ipv6")),
        r("addRange('1.2.3.4', 'x')", address()),
        r("addRange('x', '1.2.3.4')", address()),
        r("addRange('1.2.3.4', '1.2.3.4')", ok(r#"["Range: IPv4 1.2.3.4-1.2.3.4"]"#)),
        // Node compares the two ends as raw bytes of their own families: any mix is "in order".
        r("addRangeIp('1.2.3.4', '::1')", ok(r#"["Range: IPv4 1.2.3.4-::1"]"#))
            .ours(before("1.2.3.4", "ipv4")),
        r("addRangeIp('::1', '1.2.3.4')", ok(r#"["Range: IPv6 ::1-1.2.3.4"]"#)).ours(before("::1", "ipv6")),
        r("addRangeIp('::ffff:1.2.3.3', '1.2.3.4')", ok(r#"["Range: IPv6 ::ffff:1.2.3.3-1.2.3.4"]"#))
            .ours(before("::ffff:1.2.3.3", "ipv6")),
        // addSubnet: the address is checked before the prefix.
        r("addSubnet('10.0.0.0', 33)", prefix(32, "33")),
        r("addSubnet('10.0.0.0', 255)", prefix(32, "255")),
        r("addSubnet('::', 129, 'ipv6')", prefix(128, "129")),
        r("addSubnet('x', 8)", address()),
        r("addSubnet('x', 99)", address()),
        r("addSubnet('10.0.0.0', 8, 'ipv6')", address()),
        r("addSubnet('10.0.0.1', 32)", ok(r#"["Subnet: IPv4 10.0.0.1/32"]"#)),
        r("removeSubnet('10.0.0.0', 33)", prefix(32, "33")),
        r("removeSubnet('x', 99)", address()),
        // addCIDR.
        r("addCIDR('10.0.0.0')", cidr_missing("10.0.0.0")),
        r("addCIDR('')", cidr_missing("")),
        r("removeCIDR('x')", cidr_missing("x")),
        r("addCIDR('10.0.0.0/')", cidr_prefix("10.0.0.0/")),
        r("addCIDR('10.0.0.0/08')", cidr_prefix("10.0.0.0/08")),
        r("addCIDR('10.0.0.0/x')", cidr_prefix("10.0.0.0/x")),
        r("addCIDR('10.0.0.0/ 8')", cidr_prefix("10.0.0.0/ 8")),
        r("addCIDR('10.0.0.0/8 ')", cidr_prefix("10.0.0.0/8 ")),
        r("addCIDR('10.0.0.0/+8')", cidr_prefix("10.0.0.0/+8")),
        r("addCIDR('10.0.0.0/1e1')", cidr_prefix("10.0.0.0/1e1")),
        r("addCIDR('::1/128/')", cidr_prefix("::1/128/")),
        r("addCIDR('10.0.0.0/99999999999999999999')", cidr_prefix("10.0.0.0/99999999999999999999")),
        r("addCIDR('10.0.0.0/33')", prefix(32, "33")),
        r("addCIDR('10.0.0.0/-1')", prefix(32, "-1")),
        r("addCIDR('::/129')", prefix(128, "129")),
        r("addCIDR('/8')", address()),
        r("addCIDR('x/8')", address()),
        r("addCIDR('10.0.0.0/8/8')", address()),
        r("addCIDR('1.2.3.4/32')", ok(r#"["Subnet: IPv4 1.2.3.4/32"]"#)),
        r("addCIDR('::ffff:1.2.3.4/96')", ok(r#"["Subnet: IPv6 ::ffff:1.2.3.4/96"]"#)),
        // fromJSON: JSON.parse first (a SyntaxError, no code), then the shape, then each rule.
        r("fromJSON('')", syntax_error()).ours(data("an instance of Object")),
        r("fromJSON('[')", syntax_error()).ours(data("an instance of Object")),
        r("fromJSON('[\"Address: IPv4 1.2.3.4\",]')", syntax_error()).ours(data("an instance of Object")),
        r("fromJSON('{}')", data("an instance of Object")),
        r("fromJSON('[1]')", data("an instance of Array")).ours(data("an instance of Object")),
        r("fromJSON('null')", data("null")).ours(data("an instance of Object")),
        r("fromJSON('\"str\"')", data("type string ('str')")).ours(data("an instance of Object")),
        r("fromJSON('[\"x\"]')", ok("[]")),
        r("fromJSON('[\"Address: IPv4 999.1.1.1\"]')", address()),
        r("fromJSON('[\"Subnet: IPv4 1.2.3.4/33\"]')", prefix(32, "33")),
        r("fromJSON('[\"Subnet: IPv6 ::/999\"]')", prefix(128, "999")),
        r("fromJSON('[\"Range: IPv4 1.2.3.5-1.2.3.4\"]')", before("1.2.3.5", "ipv4")),
    ]
}

fn eval_block_list(input: &str) -> Answer {
    let (method, args) = js::call(input);
    let family = |i: usize| -> Result<Family, NetError> {
        match args.get(i) {
            None => Ok(Family::Ipv4),
            Some(v) => parse_family(v.str(), "options.family"),
        }
    };
    let prefix = |i: usize| u8::try_from(args[i].num() as i64).expect("a prefix our typed API takes");
    let s = |i: usize| args[i].str();
    let mut list = BlockList::new();
    let result = match method.as_str() {
        "addAddress" => family(1).and_then(|f| list.add_address(s(0), f)),
        "removeAddress" => family(1).and_then(|f| list.remove_address(s(0), f)),
        "addRange" => family(2).and_then(|f| list.add_range(s(0), s(1), f)),
        "addRangeIp" => list.add_range_ip(s(0).parse().unwrap(), s(1).parse().unwrap()),
        "addSubnet" => family(2).and_then(|f| list.add_subnet(s(0), prefix(1), f)),
        "removeSubnet" => family(2).and_then(|f| list.remove_subnet(s(0), prefix(1), f)),
        "addCIDR" => list.add_cidr(s(0)),
        "removeCIDR" => list.remove_cidr(s(0)),
        "fromJSON" => list.from_json(s(0)),
        other => panic!("no row kind {other}"),
    };
    Answer::from_result(result, |()| serde_json::to_string(&list.rules()).unwrap())
}

#[test]
fn block_list_table() {
    check("BlockList", block_list_rows(), eval_block_list);
}

// ---------------------------------------------------------------------------------------------
// IPC paths over `sun_path` (108 bytes on Linux): `net.connect(path)` and `server.listen(path)`.
// Rows: `connect|listen <bytes> <fill>`: the path is `/tmp/nc-bad-input/` filled with `<fill>`
// up to that many bytes, or for `abstract` a NUL and `a`s. A path the kernel is asked about
// renders as `attempted` (Node then fails with ENOENT or ECONNREFUSED) or `listening`; the
// EINVAL refusal is an error event whose message shows the path as `<path>`.

const IPC_DIR: &str = "/tmp/nc-bad-input/";

fn ipc_path(bytes: usize, fill: &str) -> String {
    if fill == "abstract" {
        return format!("\0{}", "a".repeat(bytes - 1));
    }
    let mut p = IPC_DIR.to_owned();
    while p.len() < bytes {
        p.push_str(fill);
    }
    assert_eq!(p.len(), bytes, "the fill does not reach {bytes} bytes");
    p
}

fn ipc_rows() -> Vec<Row> {
    let connect_einval = || err("EINVAL", "connect EINVAL <path> - Local (undefined:undefined)");
    let listen_einval = || err("EINVAL", "listen EINVAL: invalid argument <path>");
    vec![
        r("connect 107 a", ok("attempted")),
        r("connect 108 a", ok("attempted")),
        r("connect 109 a", connect_einval()),
        r("connect 200 a", connect_einval()),
        r("connect 110 é", connect_einval()),
        r("connect 108 abstract", ok("attempted")),
        r("connect 109 abstract", connect_einval()),
        r("listen 107 a", ok("listening")),
        r("listen 108 a", ok("listening")),
        r("listen 109 a", listen_einval()),
        r("listen 200 a", listen_einval()),
        r("listen 110 é", listen_einval()),
        r("listen 108 abstract", ok("listening")),
        r("listen 109 abstract", listen_einval()),
    ]
}

fn eval_ipc(input: &str) -> Answer {
    let parts: Vec<&str> = input.split(' ').collect();
    let path = ipc_path(parts[1].parse().unwrap(), parts[2]);
    let at = Endpoint::Ipc(path.clone().into());
    let hide = |e: &NetError| Answer::Err {
        code: Some(e.code().to_owned()),
        message: Some(e.message().replace(&path, "<path>")),
    };
    let now = Instant::now();
    match parts[0] {
        "connect" => {
            let mut sock = Socket::new(SocketOptions::default(), now);
            if let Err(e) = sock.connect(at) {
                return hide(&e);
            }
            sock.tick(now);
            let mut answer = None;
            let mut closes = 0;
            while let Some(ev) = sock.poll_event() {
                match ev {
                    SocketEvent::Error(e) if answer.is_none() => answer = Some(hide(&e)),
                    SocketEvent::Close { had_error } => {
                        assert!(had_error, "{input}: close(false) after an error");
                        closes += 1;
                    }
                    _ => {}
                }
            }
            if let Some(a) = answer {
                assert_eq!(closes, 1, "{input}: an error and not exactly one close");
                return a;
            }
            match sock.poll_action() {
                Some(SocketAction::Connect { .. }) => ok("attempted"),
                other => panic!("{input}: neither an error nor a connect: {other:?}"),
            }
        }
        "listen" => {
            let mut server = Server::new(ServerOptions::default());
            if let Err(e) = server.listen(at) {
                return hide(&e);
            }
            if let Some(ServerEvent::Error(e)) = server.poll_event() {
                assert!(
                    !server.listening() && server.poll_action().is_none(),
                    "{input}: refused yet binding"
                );
                return hide(&e);
            }
            match server.poll_action() {
                Some(ServerAction::Listen(_)) => ok("listening"),
                other => panic!("{input}: neither an error nor a bind: {other:?}"),
            }
        }
        other => panic!("no row kind {other}"),
    }
}

#[test]
fn ipc_path_table() {
    check("IPC path", ipc_rows(), eval_ipc);
}

// ---------------------------------------------------------------------------------------------
// The rows for Node: `BAD_INPUT_DUMP=<file>` writes every row as a JSON line for
// data/check_bad_input.js to run in Node 26.

#[test]
fn dump_rows() {
    let Some(path) = std::env::var_os("BAD_INPUT_DUMP") else { return };
    let tables: [(&str, Vec<Row>); 12] = [
        ("port", port_rows()),
        ("connect", connect_rows()),
        ("listen", listen_rows()),
        ("listen_shorthand", listen_shorthand_rows()),
        ("timeout", timeout_rows()),
        ("socket_address", socket_address_rows()),
        ("socket_address_typed", socket_address_typed_rows()),
        ("parse", parse_rows()),
        ("family", family_rows()),
        ("block_list", block_list_rows()),
        ("ipc", ipc_rows()),
        ("ipc_dir", vec![r(IPC_DIR, ok(""))]),
    ];
    let mut out = String::new();
    for (table, rows) in tables {
        for row in rows {
            let line = serde_json::json!({ "table": table, "input": row.input, "node": row.node.to_json() });
            out.push_str(&line.to_string());
            out.push('\n');
        }
    }
    std::fs::write(path, out).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Where net-core disagrees with Node 26 (every row above carrying `.ours(...)`). Fixed since the
// table was written: U+FEFF is JavaScript white space; net.connect's order (host first, family
// last and only for names, 'IPv4'/'IPv6'), a null port, falsy paths, local addresses and ports;
// server.listen's order, null port, "is invalid" message and pipe names; setTimeout overflow.
//
// validatePort:
// - Messages only (the codes agree): 1e21 and 1.5e-7: Node prints the numbers as JavaScript
//   does (`1e+21`, `1.5e-7`), we print `1000000000000000000000` and `0.00000015`; -0 with
//   allowZero false: Node shows `(-0)`, we show `(0)`; "a'b": Node quotes it `("a'b")`
//   (util.inspect's choice of quotes), we `('a'b')`.
//
// net.connect (ConnectArgs::validate):
// - family messages: Node says `Received 5` / `Received '4'` / `Received true` (inspect); ours
//   `Received type number (5)` … (same code).
// - autoSelectFamilyAttemptTimeout 1.5, NaN, Infinity: Node "It must be an integer."; ours
//   "It must be >= 1 && <= 2147483647." (same code).
// - localPort 70000, -1, 1.5: Node only checks the type (the bind fails later, or not); ours
//   ERR_SOCKET_BAD_PORT at once (ConnectOptions holds a u16).
//
// new SocketAddress (from_init) and parse_family:
// - flowlabel Infinity: Node "It must be an integer."; ours "It must be >= 0 && <= 4294967295."
// - family 'ipv4\x00' and "a'b": Node's message escapes with util.inspect ('ipv4\x00',
//   "a'b"); ours prints the raw text in single quotes.
// - address '1.2.3.4\x00' (and '1.2.3.4\x00junk'): Node accepts 1.2.3.4 (the C string ends at
//   the NUL); ours ERR_INVALID_ADDRESS.
//
// BlockList:
// - addAddress('1.2.3.4\x00…'): Node adds 1.2.3.4; ours ERR_INVALID_ADDRESS.
// - add_range_ip with ends of two families: Node adds the range (`Range: IPv4 1.2.3.4-::1`);
//   ours ERR_INVALID_ARG_VALUE "start must come before end".
// - fromJSON('') / ('[') / trailing comma: Node SyntaxError (no code); ours
//   ERR_INVALID_ARG_TYPE (documented in BlockList::from_json).
// - fromJSON('[1]') / ('null') / ('"str"'): Node's message names what it got ("an instance of
//   Array", "null", "type string ('str')"); ours always "an instance of Object" (same code).
