"""Checks on the setup page's files that need no browser (TAP): the view is
well-formed and loads files that exist, app.conf points at it, the script
never turns text into HTML, its form keys are the handler's contract keys
(src/setup/setupform.h), and its endpoint is the one restmap.conf/web.conf expose."""
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
from splunkconf import parse_conf  # noqa: E402
VIEW = "qradar_soar_setup"
n = failed = 0


def ok(cond, name, detail=""):
    global n, failed
    n += 1
    failed += not cond
    print("%sok %d - %s" % ("" if cond else "not ", n, name))
    if not cond and detail:
        print("#   " + str(detail)[:500])


def skip(name, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, name, why))


def conf(path):
    """.conf/.meta as {stanza: {key: value}} ("[]" is a stanza too); {} when
    the file is missing."""
    return parse_conf(path)[0] if os.path.exists(path) else {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            t = line.strip()
            if not t or t.startswith("#"):
                continue
            m = re.match(r"^\[(.*)\]$", t)
            if m:
                stanza = m.group(1)
                out.setdefault(stanza, {})
                continue
            k, eq, v = t.partition("=")
            if eq:
                out.setdefault(stanza, {})[k.strip()] = v.strip()
    return out


def read(rel):
    with open(os.path.join(TOP, rel), encoding="utf-8") as fh:
        return fh.read()


# ---- the view -------------------------------------------------------------
view_rel = "default/data/ui/views/%s.xml" % VIEW
root = None
try:
    root = ET.fromstring(read(view_rel))
    ok(True, "%s is well-formed XML" % view_rel)
except (OSError, ET.ParseError) as e:
    ok(False, "%s is well-formed XML" % view_rel, e)
if root is not None:
    ok(root.tag == "dashboard" and root.get("isDashboard") == "false" and root.get("version") == "1.1"
       and root.get("hideEdit") == "true", "a Simple XML dashboard that is no dashboard (isDashboard=false, "
       "hideEdit, version 1.1)", root.attrib)
    refs = [s.strip() for a in ("script", "stylesheet") for s in (root.get(a) or "").split(",") if s.strip()]
    ok("setup.js" in refs and "setup.css" in refs, "the view loads setup.js and setup.css", refs)
    missing = [r for r in refs if not os.path.isfile(os.path.join(TOP, "appserver", "static", r))]
    ok(not missing, "every script/stylesheet of the view exists in appserver/static", missing)
    ok(any(e.get("id") == "qs-setup" for e in root.iter("div")), "the <html> panel holds the qs-setup container")

app = conf(os.path.join(TOP, "default", "app.conf"))
ok(app.get("ui", {}).get("setup_view") == VIEW,
   "app.conf [ui] setup_view = %s" % VIEW)
ok(app.get("install", {}).get("is_configured") == "0", "app.conf ships unconfigured (is_configured = 0)")
meta = conf(os.path.join(TOP, "metadata", "default.meta"))
acc = meta.get("views/%s" % VIEW, {}).get("access", "")
ok(re.search(r"write\s*:\s*\[\s*admin\s*(,\s*sc_admin\s*)?\]", acc) is not None,
   "default.meta: only admins may change the setup view", acc)

# ---- the script -----------------------------------------------------------
js = read("appserver/static/setup.js")
css = read("appserver/static/setup.css")
bad = [w for w in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                   "new Function", "DOMParser", "createContextualFragment", "srcdoc") if w in js]
ok(not bad, "setup.js never parses text as HTML (textContent only)", bad)
ok("textContent" in js, "setup.js writes server text with textContent")
ok(not re.search(r"(https?:)?//[A-Za-z0-9]", re.sub(r"/\*.*?\*/", "", js, flags=re.S)),
   "setup.js loads nothing from another host")
ok(re.search(r"\bdefine\s*\(|\brequire\s*\(", js) is None and js.lstrip().startswith("/*")
   and "(function ()" in js, "setup.js is a plain IIFE (no AMD module), fit for <script> and RequireJS")
ok("X-Splunk-Form-Key" in js and "splunkweb_csrf_token_" in js and 'credentials: "same-origin"' in js,
   "POSTs carry X-Splunk-Form-Key ($C.FORM_KEY or the splunkweb_csrf_token_<port> cookie)")
ok("application/x-www-form-urlencoded" in js and "/splunkd/__raw" in js,
   "form-encoded calls through Splunk Web's /splunkd/__raw proxy")
ok(css.count("{") == css.count("}") and css.count("{") > 10, "setup.css has balanced braces")

node = shutil.which("node")
if node:
    r = subprocess.run([node, "--check", os.path.join(TOP, "appserver", "static", "setup.js")],
                       capture_output=True, text=True)
    ok(r.returncode == 0, "setup.js parses (node --check)", r.stderr)
else:
    skip("setup.js parses (node --check)", "node is not installed")

# The page's keys are exactly the handler's (mode is added by the Test button).
hdr = read("src/setup/setupform.h")
m = re.search(r"Keys:(.*?)\.\s*\n", hdr, re.S)
contract = set(re.findall(r"[a-z_]+", m.group(1).replace("*", " "))) if m else set()
contract.discard("mode")
page_keys = set(re.findall(r'\{\s*key:\s*"([a-z_]+)"', js))
ok(len(contract) == 16 and page_keys == contract, "the page's form keys are the handler's contract keys",
   {"page only": sorted(page_keys - contract), "handler only": sorted(contract - page_keys)})
ok('v.mode = "test"' in js, "Test Organization sends mode=test")

# The handler's messages name settings by the page's labels (src/net/soar.c
# soar_setting_label): each must be a label the admin sees on the page.
soar_c = read("src/net/soar.c")
m = re.search(r"const char \*soar_setting_label\(.*?\n}\n", soar_c, re.S)
body = m.group(0) if m else ""
quoted = set(re.findall(r'\{ "[a-z_]+", "([^"]+)" \}', body))
quoted |= {x for pair in re.findall(r'return api_keys \? "([^"]+)" : "([^"]+)";', body) for x in pair}
page_labels = set(re.findall(r'\b(?:label|altLabel): "([^"]+)"', js))
ok(len(quoted) >= 17 and quoted <= page_labels, "every setting label the handler's messages use is on the page",
   sorted(quoted - page_labels))
m = re.search(r'var ENDPOINT = "/servicesNS/nobody/" \+ APP \+ "(/[^"]+)";', js)
endpoint = m.group(1) if m else None
ok(endpoint == "/qradar_soar/setup", "the page calls /qradar_soar/setup", endpoint)

restmap = conf(os.path.join(TOP, "default", "restmap.conf"))
web = conf(os.path.join(TOP, "default", "web.conf"))
if restmap and web:
    matches = [v.get("match") for s, v in restmap.items() if s.startswith("script:")]
    ok("/qradar_soar/setup" in matches, "restmap.conf serves /qradar_soar/setup", matches)
    exp = {v.get("pattern", ""): v.get("methods", "") for s, v in web.items() if s.startswith("expose:")}
    methods = {x.strip().upper() for x in exp.get("qradar_soar/setup", "").split(",")}
    ok({"GET", "POST"} <= methods, "web.conf exposes qradar_soar/setup for GET and POST", exp)
else:
    skip("restmap.conf and web.conf expose the page's endpoint", "no default/restmap.conf or web.conf yet")

print("1..%d" % n)
sys.exit(1 if failed else 0)
