"""What the app's dashboards, saved searches and workflow actions ask of the
action's log, checked without a Splunk (Python standard library only):

- the field extractions the app ships (default/props.conf and
  default/transforms.conf), applied to log lines exactly as written there;
- the Simple XML of default/data/ui/views/*.xml against the elements and
  attributes of Splunk's Simple XML Reference (help.splunk.com, "Simple XML
  Reference", 9.x): dashboard/form, label, description, fieldset, input,
  row, panel, table/chart/single/event/html, search with query, earliest,
  latest, option, drilldown with link/set/unset/condition;
- the SPL of each query: which fields it reads, from where (the log, a KV
  store lookup, an earlier command), and which literal values it compares
  them with. Only the commands the app uses are understood; anything else
  is reported, so a new panel teaches this module its commands rather than
  passing unchecked.
"""
import os
import re
import xml.etree.ElementTree as ET

from splunkconf import parse_conf

# ---- the shipped extractions -------------------------------------------


def pcre_to_python(regex):
    """Splunk's PCRE named groups (?<name>…) in Python's spelling."""
    return re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", regex)


def source_matches(pattern, path):
    """props.conf [source::<pattern>]: '...' matches any run of characters
    including '/', '*' any run without '/'; the rest is literal (a '.'
    too, as Splunk's source stanzas treat it)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("...", i):
            out.append(".*")
            i += 3
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.fullmatch("".join(out), path) is not None


class Extractor:
    """The search-time extractions props.conf binds to a log file."""

    def __init__(self, top, log_path):
        self.props, bad = parse_conf(os.path.join(top, "default", "props.conf"))
        if bad:
            raise ValueError("props.conf: %s" % bad)
        self.transforms, bad = parse_conf(os.path.join(top, "default", "transforms.conf"))
        if bad:
            raise ValueError("transforms.conf: %s" % bad)
        self.stanzas = [s for s in self.props
                        if s.startswith("source::") and source_matches(s[len("source::"):], log_path)]
        self.settings = {}
        for s in self.stanzas:
            self.settings.update(self.props[s])
        self.rules = []
        for key in sorted(k for k in self.settings if k.startswith("REPORT-")):
            for name in (n.strip() for n in self.settings[key].split(",")):
                tr = self.transforms.get(name)
                if tr is None:
                    raise ValueError("props.conf %s names the missing transform %s" % (key, name))
                fmt = tr.get("FORMAT", "").strip()
                rx = re.compile(pcre_to_python(tr["REGEX"].strip()))
                if fmt not in ("", "$1::$2"):
                    raise ValueError("transform %s: FORMAT %r is not understood here" % (name, fmt))
                if not fmt and not rx.groupindex:
                    raise ValueError("transform %s: no named group and no FORMAT" % name)
                self.rules.append((name, rx, fmt))

    def fields(self, line):
        """{field: [values]} of one event, as Splunk's search-time
        extraction gives them (every match of a $1::$2 transform)."""
        out = {}
        for _name, rx, fmt in self.rules:
            if fmt == "$1::$2":
                for m in rx.finditer(line):
                    out.setdefault(m.group(1), []).append(m.group(2))
            else:
                m = rx.search(line)
                if m:
                    for k, v in m.groupdict().items():
                        if v is not None:
                            out.setdefault(k, []).append(v)
        return out


# Fields Splunk gives every event whatever the extractions.
DEFAULT_FIELDS = {"_time", "_raw", "host", "source", "sourcetype", "index", "linecount", "splunk_server",
                  "punct", "eventtype", "tag", "_indextime", "timestartpos", "timeendpos"}

# ---- Simple XML --------------------------------------------------------

_VIS_ATTRS = {"id", "depends", "rejects"}
_TEXT = (set(), set())
SCHEMA = {
    # element: (attributes, children)
    "form": ({"version", "theme", "script", "stylesheet", "hideEdit", "hideTitle", "hideChrome",
              "hideAppBar", "hideSplunkBar", "hideFooter", "isDashboard", "isVisible", "refresh",
              "onunloadCancelJobs", "hideFilters"},
             {"label", "description", "search", "init", "fieldset", "row"}),
    "dashboard": ({"version", "theme", "script", "stylesheet", "hideEdit", "hideTitle", "hideChrome",
                   "hideAppBar", "hideSplunkBar", "hideFooter", "isDashboard", "isVisible", "refresh",
                   "onunloadCancelJobs"},
                  {"label", "description", "search", "init", "row"}),
    "label": _TEXT, "description": _TEXT, "title": _TEXT, "query": _TEXT, "earliest": _TEXT,
    "latest": _TEXT, "fieldForLabel": _TEXT, "fieldForValue": _TEXT, "prefix": _TEXT, "suffix": _TEXT,
    "valuePrefix": _TEXT, "valueSuffix": _TEXT, "delimiter": _TEXT, "initialValue": _TEXT,
    "fieldset": ({"submitButton", "autoRun"}, {"input", "html"}),
    "input": ({"type", "token", "searchWhenChanged", "id", "depends", "rejects"},
              {"label", "default", "initialValue", "choice", "search", "fieldForLabel", "fieldForValue",
               "prefix", "suffix", "valuePrefix", "valueSuffix", "delimiter", "change",
               "selectFirstChoice", "showClearButton", "allowCustomValues"}),
    "default": (set(), {"earliest", "latest"}),
    "choice": ({"value"}, set()),
    "row": (_VIS_ATTRS, {"panel", "html", "chart", "table", "single", "event", "map", "viz"}),
    "panel": (_VIS_ATTRS | {"ref", "app"},
              {"title", "input", "html", "chart", "table", "single", "event", "map", "viz", "search"}),
    "table": (_VIS_ATTRS, {"title", "search", "option", "drilldown", "format", "fields"}),
    "chart": (_VIS_ATTRS, {"title", "search", "option", "drilldown", "selection"}),
    "single": (_VIS_ATTRS, {"title", "search", "option", "drilldown"}),
    "event": (_VIS_ATTRS, {"title", "search", "option", "drilldown", "fields"}),
    "search": ({"id", "base", "ref", "app", "depends", "rejects", "type"},
               {"query", "earliest", "latest", "sampleRatio", "refresh", "refreshType", "progress", "done",
                "error", "fail", "cancel", "finalized", "preview"}),
    "option": ({"name"}, set()),
    "drilldown": ({"target"}, {"link", "set", "unset", "eval", "condition"}),
    "condition": ({"field", "match", "value", "label"}, {"link", "set", "unset", "eval"}),
    "link": ({"target", "field"}, set()),
    "set": ({"token", "prefix", "suffix", "delimiter"}, set()),
    "unset": ({"token"}, set()),
}
INPUT_TYPES = {"time", "text", "dropdown", "radio", "checkbox", "multiselect", "link"}
# Documented options of each visualization the app uses, with the values
# the reference allows where it lists them (None: free text or number).
OPTIONS = {
    "table": {"count": None, "dataOverlayMode": {"none", "heatmap", "highlow"},
              "drilldown": {"none", "cell", "row"}, "percentagesRow": {"true", "false"},
              "rowNumbers": {"true", "false"}, "totalsRow": {"true", "false"}, "wrap": {"true", "false"},
              "refresh.display": {"none", "preview", "progressbar"}},
    "single": {"drilldown": {"none", "all"}, "underLabel": None, "unit": None,
               "unitPosition": {"before", "after"}, "colorMode": {"none", "block"},
               "colorBy": {"value", "trend"}, "useColors": {"0", "1", "true", "false"}, "rangeValues": None,
               "rangeColors": None, "numberPrecision": None, "showSparkline": {"0", "1", "true", "false"},
               "showTrendIndicator": {"0", "1", "true", "false"}, "height": None,
               "refresh.display": {"none", "preview", "progressbar"}},
    "chart": {"charting.chart": {"area", "bar", "bubble", "column", "fillerGauge", "line", "markerGauge",
                                 "pie", "radialGauge", "scatter"},
              "charting.chart.stackMode": {"default", "stacked", "stacked100"},
              "charting.legend.placement": {"right", "bottom", "top", "left", "none"},
              "charting.axisTitleX.visibility": {"visible", "collapsed"},
              "charting.axisTitleY.visibility": {"visible", "collapsed"},
              "charting.axisTitleX.text": None, "charting.axisTitleY.text": None,
              "charting.fieldColors": None, "charting.seriesColors": None,
              "charting.drilldown": {"all", "none"}, "height": None,
              "refresh.display": {"none", "preview", "progressbar"}},
}


def validate_view(root):
    """Problems of one view against SCHEMA, INPUT_TYPES and OPTIONS."""
    bad = []
    if root.tag not in ("form", "dashboard"):
        return ["the root is <%s>, not <dashboard> or <form>" % root.tag]
    if root.get("version") != "1.1":
        bad.append("the root lacks version=\"1.1\" (Splunk 9 warns about older dashboards)")

    def walk(el, path):
        if el.tag not in SCHEMA:
            bad.append("%s: <%s> is not a Simple XML element" % (path, el.tag))
            return
        attrs, children = SCHEMA[el.tag]
        for a in el.attrib:
            if a not in attrs:
                bad.append("%s: <%s> has no attribute %s" % (path, el.tag, a))
        if el.tag == "html":
            return
        for c in el:
            if c.tag == "html" and "html" in children:
                continue
            if c.tag not in children:
                bad.append("%s: <%s> cannot hold <%s>" % (path, el.tag, c.tag))
                continue
            walk(c, path + "/" + c.tag)
        if not children and len(el):
            bad.append("%s: <%s> holds elements" % (path, el.tag))

    walk(root, root.tag)
    ids = {s.get("id") for s in root.iter("search") if s.get("id")}
    for s in root.iter("search"):
        if s.get("base") and s.get("base") not in ids:
            bad.append("a search's base %r names no search id" % s.get("base"))
        if s.find("query") is None or not (s.find("query").text or "").strip():
            bad.append("a <search> without a query")
    for i in root.iter("input"):
        if i.get("type") not in INPUT_TYPES:
            bad.append("input type %r" % i.get("type"))
        if not i.get("token"):
            bad.append("an input without a token")
    for vis in ("table", "single", "chart"):
        for v in root.iter(vis):
            for o in v.findall("option"):
                name, val = o.get("name"), (o.text or "").strip()
                if name not in OPTIONS[vis]:
                    bad.append("<%s> has no option %r" % (vis, name))
                elif OPTIONS[vis][name] is not None and val not in OPTIONS[vis][name]:
                    bad.append("<%s> option %s=%r is not one of %s" % (vis, name, val,
                                                                       sorted(OPTIONS[vis][name])))
    return bad


def input_tokens(root):
    """Tokens the form defines: each input's token (a time input's
    token.earliest and token.latest)."""
    out = set()
    for i in root.iter("input"):
        if i.get("type") == "time":
            out |= {i.get("token") + ".earliest", i.get("token") + ".latest"}
        else:
            out.add(i.get("token"))
    return out


# ---- SPL ---------------------------------------------------------------

EVAL_FUNCTIONS = {"coalesce", "if", "case", "strftime", "strptime", "isnull", "isnotnull", "match", "like",
                  "now", "round", "len", "tostring", "tonumber", "lower", "upper", "mvcount", "null",
                  "replace", "substr", "mvjoin", "json_extract"}
STATS_FUNCTIONS = {"count", "dc", "distinct_count", "values", "list", "latest", "earliest", "first", "last",
                   "sum", "avg", "min", "max"}
KEYWORDS = {"AND", "OR", "NOT", "true", "false", "null", "as", "AS", "by", "BY", "IN", "LIKE"}
TRANSFORMING = {"stats", "timechart", "chart", "table"}


class Spl:
    """One pipeline's use of fields.

    uses: (field, literal or None, where, source) for each field read from
    the data (source "log" or "lookup:<name>") before a command of the
    pipeline made it; made: the fields the pipeline made (eval, stats…);
    avail: the fields at the current point (None: all of the source's);
    terms: (field or None, value) of the search's index=, source= and bare
    words; lookups: lookup names read; tokens: the $tokens$ used; bad: what
    this module did not understand, or found wrong."""

    def __init__(self, macros=None):
        self.macros = macros or {}
        self.uses, self.terms, self.lookups, self.tokens, self.bad = [], [], [], set(), []
        self.source = "log"
        self.avail = None
        self.open_columns = False  # after timechart ... by X: a column per value of X
        self.made = set()

    def expand(self, q, depth=0):
        """Macros are text: `name` becomes its definition."""
        if depth > 5:
            self.bad.append("macros nest too deep")
            return q

        def sub(m):
            if m.group(1) not in self.macros:
                self.bad.append("unknown macro `%s`" % m.group(1))
                return ""
            return self.expand(self.macros[m.group(1)], depth + 1)
        return re.sub(r"`([^`]+)`", sub, q)

    @staticmethod
    def split(text, sep):
        """Splits on sep outside double quotes and brackets."""
        out, cur, depth, q, i = [], [], 0, False, 0
        while i < len(text):
            c = text[i]
            if c == '"' and (i == 0 or text[i - 1] != "\\"):
                q = not q
            elif not q and c in "([":
                depth += 1
            elif not q and c in ")]":
                depth -= 1
            if not q and depth == 0 and text.startswith(sep, i):
                out.append("".join(cur))
                cur = []
                i += len(sep)
                continue
            cur.append(c)
            i += 1
        out.append("".join(cur))
        return out

    def read(self, field, literal, where):
        """A reference to field: from the data unless the pipeline made it."""
        if self.avail is not None and field not in self.avail:
            if self.open_columns:
                return
            self.bad.append("%s: %s is not a field at this point of the pipeline (there are %s)"
                            % (where, field, sorted(self.avail)))
            return
        if field in self.made:
            return
        self.uses.append((field, literal, where, self.source))

    def expr(self, text, where):
        """eval and where expressions: 'name' and bare names are fields,
        name(...) a function, "..." a literal compared with the name
        before = / == / !=."""
        toks = re.findall(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z_][A-Za-z0-9_.]*\s*\(?|==|!=|[=<>]=?|\S', text)
        for i, t in enumerate(toks):
            if t.startswith('"'):
                continue
            if t.startswith("'"):
                name = t[1:-1]
            elif re.match(r"[A-Za-z_]", t):
                if t.rstrip().endswith("("):
                    fn = t.rstrip()[:-1].strip()
                    if fn not in EVAL_FUNCTIONS:
                        self.bad.append("%s: eval function %s() is not known here" % (where, fn))
                    continue
                name = t.strip()
                if name in KEYWORDS:
                    continue
            else:
                continue
            lit = None
            if i + 2 < len(toks) and toks[i + 1] in ("=", "==", "!=") and toks[i + 2].startswith('"'):
                lit = toks[i + 2][1:-1]
            self.read(name, lit, where)

    def cmd_search(self, args, where):
        rx = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)(!?=)("(?:[^"\\]|\\.)*"|[^\s()]+)'
                        r'|("(?:[^"\\]|\\.)*")|([()])|([^\s()]+)')
        for m in rx.finditer(args):
            if m.group(1):
                field, value = m.group(1), m.group(3)
                if value.startswith('"'):
                    value = value[1:-1]
                if field in ("index", "source", "sourcetype") and self.source == "log" \
                        and self.avail is None:
                    self.terms.append((field, value))
                else:
                    self.read(field, value, where)
            elif m.group(4):
                self.terms.append((None, m.group(4)[1:-1]))
            elif m.group(6) and m.group(6) not in ("OR", "AND", "NOT"):
                self.terms.append((None, m.group(6)))

    def cmd_eval(self, args, where):
        for part in self.split(args, ","):
            m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$", part, re.S)
            if not m:
                self.bad.append("%s: cannot read eval %r" % (where, part))
                continue
            self.expr(m.group(2), where)
            self.made.add(m.group(1))
            if self.avail is not None:
                self.avail.add(m.group(1))

    def aggregations(self, text, where):
        """count, func(field), func(eval(expr)), each with an optional
        'as name'; returns the names made."""
        made, pos, text = [], 0, text.strip()
        rx = re.compile(r"\s*([A-Za-z_]+)(?:\((eval\((?:[^()]|\([^()]*\))*\)|[^()]*)\))?"
                        r"(?:\s+as\s+([A-Za-z_][A-Za-z0-9_]*))?\s*,?")
        while pos < len(text):
            m = rx.match(text, pos)
            if not m or m.end() == pos:
                self.bad.append("%s: cannot read the aggregation at %r" % (where, text[pos:]))
                break
            fn, arg, name = m.group(1), m.group(2), m.group(3)
            if fn not in STATS_FUNCTIONS:
                self.bad.append("%s: %s() is not a stats function known here" % (where, fn))
            if arg and arg.startswith("eval("):
                self.expr(arg[5:-1], where)
            elif arg:
                self.read(arg.strip(), None, where)
            made.append(name or ("%s(%s)" % (fn, arg) if arg else fn))
            pos = m.end()
        return made

    def cmd_stats(self, args, where, timechart=False):
        parts = re.split(r"\s+by\s+", args, maxsplit=1)
        body, by = parts[0], parts[1] if len(parts) > 1 else ""
        if timechart:
            body = re.sub(r"\b(span|limit|useother|usenull)=\S+", "", body)
        made = self.aggregations(body, where)
        groups = [g for g in re.split(r"[\s,]+", by.strip()) if g]
        for g in groups:
            self.read(g, None, where)
        self.made |= set(made)
        if timechart:
            self.avail = set(made) | {"_time"}
            self.open_columns = bool(groups)
        else:
            self.avail = set(made) | set(groups)

    def cmd_table(self, args, where):
        names = [f for f in re.split(r"[\s,]+", args.strip()) if f]
        for f in names:
            self.read(f, None, where)
        self.avail = set(names)
        self.open_columns = False

    def cmd_fields(self, args, where):
        args = args.strip()
        if args.startswith("-"):
            names = [f for f in re.split(r"[\s,]+", args[1:].strip()) if f]
            for f in names:
                self.read(f, None, where)
            if self.avail is not None:
                self.avail -= set(names)
            return
        self.cmd_table(args.lstrip("+"), where)

    def cmd_rename(self, args, where):
        for a, b in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)\s+as\s+("[^"]+"|[A-Za-z_][A-Za-z0-9_]*)', args):
            self.read(a, None, where)
            b = b.strip('"')
            self.made.add(b)
            if self.avail is not None:
                self.avail.discard(a)
                self.avail.add(b)

    def cmd_sort(self, args, where):
        for f in re.split(r"[\s,]+", args.strip()):
            f = f.lstrip("+-")
            if f and not f.isdigit():
                self.read(f, None, where)

    def cmd_inputlookup(self, args, where, lookups):
        m = re.match(r"\s*([A-Za-z0-9_]+)(?:\s+where\s+(.*))?$", args, re.S)
        if not m:
            self.bad.append("%s: cannot read inputlookup %r" % (where, args))
            return
        name = m.group(1)
        self.lookups.append(name)
        if name not in lookups:
            self.bad.append("%s: no lookup %s in transforms.conf" % (where, name))
        self.source = "lookup:" + name
        self.avail = None
        if m.group(2):
            self.expr(m.group(2), where)

    def analyse(self, query, where, lookups=None, base=None):
        """Reads one query; a post-process query continues base (an Spl)."""
        if base is not None:
            self.source, self.made, self.open_columns = base.source, set(base.made), base.open_columns
            self.avail = set(base.avail) if base.avail is not None else None
        q = self.expand(query)
        for tok in re.findall(r"\$([^$\s]+)\$", q):
            self.tokens.add(tok.split("|")[0])
        q = re.sub(r"\$[^$\s]+\$", "*", q)
        segs = [s.strip() for s in self.split(q, "|")]
        leading_pipe = segs[0] == ""
        if leading_pipe:
            segs = segs[1:]
        for n, seg in enumerate(segs):
            m = re.match(r"([A-Za-z_]+)\s*(.*)$", seg, re.S)
            cmd, args = (m.group(1), m.group(2)) if m else ("", seg)
            if n == 0 and base is None and not leading_pipe:
                cmd, args = "search", seg  # the first command of a search is search
            elif n == 0 and base is not None and cmd != "search":
                self.bad.append("%s: a post-process query starts with %r" % (where, cmd))
            at = "%s [%s]" % (where, cmd)
            if cmd == "search":
                self.cmd_search(args, at)
            elif cmd == "where":
                self.expr(args, at)
            elif cmd == "eval":
                self.cmd_eval(args, at)
            elif cmd == "stats":
                self.cmd_stats(args, at)
            elif cmd == "timechart":
                self.cmd_stats(args, at, timechart=True)
            elif cmd == "table":
                self.cmd_table(args, at)
            elif cmd == "fields":
                self.cmd_fields(args, at)
            elif cmd == "rename":
                self.cmd_rename(args, at)
            elif cmd == "sort":
                self.cmd_sort(args, at)
            elif cmd == "head":
                if not re.match(r"^\d+$", args.strip()):
                    self.bad.append("%s: head %r" % (at, args))
            elif cmd == "inputlookup" and n == 0 and leading_pipe:
                self.cmd_inputlookup(args, at, lookups or {})
            else:
                self.bad.append("%s: the command %r is not understood by this check" % (at, cmd))
        return self


def load_macros(top):
    conf, bad = parse_conf(os.path.join(top, "default", "macros.conf"))
    if bad:
        raise ValueError("macros.conf: %s" % bad)
    return {k: v.get("definition", "") for k, v in conf.items() if k != "default"}


def view_queries(root):
    """(query element's search, its base search or None, where) for every
    search of a view, in document order."""
    by_id = {s.get("id"): s for s in root.iter("search") if s.get("id")}
    out = []
    for s in root.iter("search"):
        base = by_id.get(s.get("base")) if s.get("base") else None
        out.append((s, base))
    return out


def parse_view(path):
    return ET.parse(path).getroot()
