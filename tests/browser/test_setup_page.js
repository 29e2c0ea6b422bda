#!/usr/bin/env node
/*
 * The setup page in a real browser: headless Debian Chromium, driven by
 * playwright-core, loads /en-US/app/SA_QRadar_SOAR/qradar_soar_setup from
 * the splunkd emulator, which runs the real setup handler
 * (bin/qradar_soar_setup) over persistconn; the SOAR emulator answers it.
 * Asserts on what the admin sees (dialog, busy state, highlighted fields,
 * required marks, the stored secret, warnings apart, reloaded form) and on
 * what was stored (/_emu/state). Screenshots of each state go to TEST_OUT.
 * TAP output.
 *
 * Environment: CHROMIUM (default /usr/bin/chromium), SETUP_DRIVER (default
 * bin/qradar_soar_setup, or $BIN/qradar_soar_setup), TEST_OUT (default
 * tests/out; the screenshots go there), KEEP=1 keeps the temp dir.
 * Without Chromium or playwright-core it prints one SKIP line, or a failure
 * under make check (QS_BROWSER_REQUIRED=1), which installs both.
 */
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const http = require("http");
const { spawn, execFileSync } = require("child_process");

const TOP = path.resolve(__dirname, "..", "..");
const EMU = path.join(TOP, "tests", "emu");
const OUT = path.resolve(TOP, process.env.TEST_OUT || path.join("tests", "out"));
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const DRIVER = path.resolve(TOP, process.env.SETUP_DRIVER ||
	path.join(process.env.BIN || "bin", "qradar_soar_setup"));
const APP = "SA_QRadar_SOAR";
const VIEW = "/en-US/app/" + APP + "/qradar_soar_setup";
const SOAR_USER = "soar@example.com";
const SOAR_PASSWORD = "Sup3r$ecret!";
const ORG = "Test Organization";
const REALM_USER = "SA_QRadar_SOAR_127.0.0.1:" + SOAR_USER + ":";
const DATA = path.join(EMU, "data");

let n = 0;
let failed = 0;

function ok(cond, name, detail) {
	n++;
	if (!cond)
		failed++;
	console.log((cond ? "ok " : "not ok ") + n + " - " + name);
	if (!cond && detail !== undefined)
		console.log("#   " + String(typeof detail === "string" ? detail : JSON.stringify(detail)).slice(0, 600));
	return cond;
}

/* make check installs every prerequisite first (scripts/deps.sh --tests)
 * and sets QS_BROWSER_REQUIRED: there a missing one is a failure. */
function skip(why) {
	if (process.env.QS_BROWSER_REQUIRED === "1") {
		console.log("not ok 1 - the browser test can run: " + why);
		console.log("1..1");
		process.exit(1);
	}
	console.log("ok 1 # SKIP " + why);
	console.log("1..1");
	process.exit(0);
}

/* ---- prerequisites ------------------------------------------------------ */

let playwright;
try {
	playwright = require("playwright-core");
} catch (e) {
	skip("playwright-core is not installed (npm ci --prefix tests/browser)");
}
if (!fs.existsSync(CHROMIUM))
	skip("no Chromium at " + CHROMIUM + " (apt-get install chromium)");
try {
	fs.accessSync(DRIVER, fs.constants.X_OK);
} catch (e) {
	skip("no setup handler at " + DRIVER + " (make)");
}

/* ---- emulators ---------------------------------------------------------- */

const work = fs.mkdtempSync(path.join(os.tmpdir(), "qs-browser-"));
const procs = [];

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

async function startEmu(script, args, name, env) {
	const ready = path.join(work, name + ".ready");
	const log = fs.openSync(path.join(work, name + ".log"), "w");
	const p = spawn("python3", [path.join(EMU, script), "--port", "0", "--control-port", "0",
		"--ready-file", ready].concat(args), { env: Object.assign({}, process.env, env || {}),
		stdio: ["ignore", log, log] });
	procs.push(p);
	for (let i = 0; i < 200; i++) {
		if (fs.existsSync(ready))
			return JSON.parse(fs.readFileSync(ready, "utf8"));
		if (p.exitCode !== null)
			break;
		await sleep(50);
	}
	throw new Error(script + " did not start: " + fs.readFileSync(path.join(work, name + ".log"), "utf8").slice(-800));
}

function control(port, method, p, obj) {
	return new Promise((resolve, reject) => {
		const data = obj === undefined ? null : Buffer.from(JSON.stringify(obj));
		const req = http.request({ host: "127.0.0.1", port: port, path: p, method: method,
			headers: data ? { "Content-Type": "application/json", "Content-Length": data.length } : {} }, (res) => {
			let body = "";
			res.setEncoding("utf8");
			res.on("data", (c) => { body += c; });
			res.on("end", () => {
				if (res.statusCode >= 300)
					return reject(new Error("control " + method + " " + p + " -> " + res.statusCode + " " + body));
				resolve(JSON.parse(body));
			});
		});
		req.on("error", reject);
		if (data)
			req.write(data);
		req.end();
	});
}

function stopAll() {
	for (const p of procs) {
		if (p.exitCode === null)
			p.kill("SIGTERM");
	}
}

/* ---- the test ------------------------------------------------------------ */

async function main() {
	const certs = path.join(work, "certs");
	execFileSync("sh", [path.join(EMU, "mkcerts.sh"), certs], { stdio: "ignore" });
	const ca = path.join(certs, "ca.pem");
	/* The handler trusts splunkd's certificate through
	 * $SPLUNK_HOME/etc/auth/cacert.pem and logs under var/log/splunk. */
	const splunkHome = path.join(work, "splunk");
	fs.mkdirSync(path.join(splunkHome, "etc", "auth"), { recursive: true });
	fs.mkdirSync(path.join(splunkHome, "var", "log", "splunk"), { recursive: true });
	fs.copyFileSync(ca, path.join(splunkHome, "etc", "auth", "cacert.pem"));
	const tls = ["--cert", path.join(certs, "server.pem"), "--key", path.join(certs, "server.key")];

	const soar = await startEmu("soar_emu.py", tls, "soar");
	const splunkd = await startEmu("splunkd_emu.py", tls.concat(["--app-dir", TOP, "--setup-driver", DRIVER]),
		"splunkd", { SPLUNK_HOME: splunkHome, EMU_DIR: EMU });
	const sctl = (m, p, o) => control(splunkd.control_port, m, p, o);
	const soarCtl = (m, p, o) => control(soar.control_port, m, p, o);
	const base = "https://127.0.0.1:" + splunkd.port;

	/* A Splunk Web session, as after the login form: splunkd_<port> and
	 * splunkweb_csrf_token_<port> cookies. */
	const ws = await sctl("POST", "/_emu/web_session", { user: "admin" });
	const cookies = ws.cookie.split(";").map((c) => {
		const kv = c.trim().split("=");
		return { name: kv[0], value: kv.slice(1).join("="), url: base };
	});

	const args = ["--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage"];
	if (process.getuid && process.getuid() === 0)
		args.push("--no-sandbox");
	const browser = await playwright.chromium.launch({ executablePath: CHROMIUM, headless: true, args: args,
		timeout: 60000 });
	try {
		const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 },
			locale: "en-US" });
		await context.addCookies(cookies);
		const page = await context.newPage();
		const jsErrors = [];
		page.on("pageerror", (e) => jsErrors.push(String(e)));
		/* HTTP errors the test provokes show up as console errors too
		 * ("Failed to load resource"); only the page's own count. */
		page.on("console", (m) => {
			if (m.type() === "error" && !/^Failed to load resource/.test(m.text()))
				jsErrors.push(m.text());
		});
		const httpErrors = [];
		page.on("response", (r) => { if (r.status() >= 400) httpErrors.push(r.status() + " " + r.request().method() + " " + r.url()); });
		page.setDefaultTimeout(30000);

		const st = () => sctl("GET", "/_emu/state");
		/* configuration writes: everything but the handler calls themselves
		 * and Messages-menu posts (a failure may post one) */
		const writesOf = (s) => s.writes.filter((w) => w.what !== "persist" && w.what !== "messages");
		/* what a setup changes; a failed one must leave it as it was */
		const snapshot = (s) => JSON.stringify([s.passwords, s.conf, s.alert_html, s.app.configured]);
		const dialogText = async () => ({
			title: await page.textContent("#qs-dialog-title"),
			text: await page.textContent("#qs-dialog-text"),
			warnings: await page.$$eval("#qs-dialog-warnings li", (l) => l.map((x) => x.textContent)),
			errors: await page.$$eval("#qs-dialog-errors li", (l) => l.map((x) => x.textContent)),
			warnBox: await page.evaluate(() => !document.querySelector("#qs-dialog-warnbox").hidden),
			cls: await page.getAttribute("#qs-dialog", "class"),
			meta: await page.textContent(".qs-dialog-meta")
		});
		const waitDialog = async () => {
			await page.waitForSelector("#qs-dialog[open]", { state: "visible", timeout: 60000 });
			return dialogText();
		};
		const closeDialog = async () => {
			await page.click("#qs-dialog-ok");
			await page.waitForSelector("#qs-dialog", { state: "hidden" });
		};
		const fill = async (values) => {
			for (const k of Object.keys(values)) {
				const sel = "#qs-field-" + k;
				if (typeof values[k] === "boolean")
					await page.setChecked(sel, values[k]);
				else
					await page.fill(sel, values[k]);
			}
		};

		/* 1. the page loads, unconfigured */
		const resp = await page.goto(base + VIEW);
		ok(resp && resp.status() === 200, "the setup view renders (HTTP 200)", resp && resp.status());
		await page.waitForSelector("#qs-form", { state: "visible" });
		await page.waitForFunction(() => !document.querySelector("#qs-submit").disabled);
		const labels = await page.$$eval("#qs-form input", (l) => l.map((i) => {
			const lab = document.querySelector('label[for="' + i.id + '"]');
			return { name: i.name, label: lab ? lab.textContent : null };
		}));
		ok(labels.length === 17 && labels.every((x) => x.label) && labels.filter((x) => !x.name).length === 1,
			"17 inputs, each with a label (16 form keys and the certificate check)", labels);
		ok(await page.inputValue("#qs-field-port") === "443", "port defaults to 443");
		ok(/not been set up/.test(await page.textContent("#qs-status")), "status says the add-on is not set up yet",
			await page.textContent("#qs-status"));

		/* 1b. required fields are marked; the certificate check is on for good */
		const req = await page.evaluate(() => {
			const o = {};
			document.querySelectorAll("#qs-form input[name]").forEach((i) => {
				const mark = i.closest(".qs-row").querySelector(".qs-req");
				o[i.name] = !!(mark && !mark.hidden && getComputedStyle(mark).display !== "none") &&
					i.getAttribute("aria-required") === "true";
			});
			return Object.keys(o).filter((k) => o[k]).sort();
		});
		ok(JSON.stringify(req) === JSON.stringify(["host", "org", "secret", "user"]),
			"host, organization, email and password are marked required (visible mark, aria-required)", req);
		const cert = await page.evaluate(() => {
			const c = document.querySelector("#qs-field-verify_cert");
			return { checked: c.checked, disabled: c.disabled, name: c.name,
				label: document.querySelector('label[for="qs-field-verify_cert"]').textContent,
				hint: document.querySelector("#qs-field-verify_cert-hint").textContent,
				ca: document.querySelector('label[for="qs-field-verify"]').textContent,
				caValue: document.querySelector("#qs-field-verify").value };
		});
		ok(cert.checked && cert.disabled && !cert.name && cert.label === "Verify SOAR's certificate" &&
			/cannot be turned off/.test(cert.hint) && cert.ca === "CA bundle" && cert.caValue === "",
			"\"Verify SOAR's certificate\" is ticked for good and explained; the CA bundle is optional and empty", cert);

		/* 1c. Submit with the required fields empty: every one marked, nothing sent */
		const nPersist = (await st()).writes.filter((w) => w.what === "persist").length;
		await page.click("#qs-submit");
		let d0 = await waitDialog();
		const marked0 = await page.$$eval(".qs-row.qs-invalid input", (l) => l.map((i) => i.name).sort());
		ok(JSON.stringify(marked0) === JSON.stringify(["host", "org", "secret", "user"]) &&
			d0.errors.length === 4 && /4 required settings are empty/.test(d0.text) &&
			/QRadar SOAR host or IP, Organization, Email, Password/.test(d0.meta),
			"empty required fields: all four marked at once and listed in the dialog", { marked0, d0 });
		ok((await st()).writes.filter((w) => w.what === "persist").length === nPersist,
			"empty required fields: nothing was sent to the handler");
		await page.screenshot({ path: path.join(OUT, "setup_page_required.png") });
		await closeDialog();
		ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === "qs-field-host",
			"after the dialog the focus is on the first field to fill");

		/* 1d. an upgrade over IBM's add-on: the form opens with the settings
		 * IBM's setup stored (qradar_soar.conf [config]), and says so */
		const ibm = { host: "soar-old.example.com", port: "8443", org: ORG, user: SOAR_USER, api_keys: "0",
			verify: "true", duplicates: "1", num_artifacts: "7", num_events: "25" };
		await sctl("POST", "/_emu/seed", { conf: { qradar_soar: { config: ibm } } });
		await page.reload();
		await page.waitForFunction(() => document.querySelector("#qs-field-host") &&
			document.querySelector("#qs-field-host").value !== "");
		const pre = { host: await page.inputValue("#qs-field-host"), port: await page.inputValue("#qs-field-port"),
			num_artifacts: await page.inputValue("#qs-field-num_artifacts"),
			duplicates: await page.isChecked("#qs-field-duplicates"), secret: await page.inputValue("#qs-field-secret") };
		ok(pre.host === ibm.host && pre.port === "8443" && pre.num_artifacts === "7" && pre.duplicates === true &&
			pre.secret === "", "IBM's stored settings pre-fill the form (never a secret)", pre);
		ok(/settings of IBM's add-on \(qradar_soar\.conf \[config\]\)/.test(await page.textContent("#qs-status")),
			"the status says where the settings come from", await page.textContent("#qs-status"));

		/* 2. Test Organization: busy state, success dialog, nothing written */
		await fill({ host: "127.0.0.1", port: String(soar.port), verify: ca, org: ORG, user: SOAR_USER,
			secret: SOAR_PASSWORD, num_artifacts: "5", num_events: "40", duplicates: false, api_keys: false });
		await soarCtl("POST", "/_emu/fault", { path: "^/rest/session$", delay: 1.5, count: 1 });
		const before = await st();
		await page.click("#qs-test");
		await page.waitForSelector(".qs-busy:not([hidden])");
		const busy = await page.evaluate(() => ({
			test: document.querySelector("#qs-test").disabled,
			submit: document.querySelector("#qs-submit").disabled,
			text: document.querySelector(".qs-busy").textContent,
			aria: document.querySelector("#qs-form").getAttribute("aria-busy")
		}));
		ok(busy.test && busy.submit && /Testing/.test(busy.text) && busy.aria === "true",
			"while testing both buttons are disabled and the busy text shows", busy);
		let d = await waitDialog();
		ok(d.title === "Connection test succeeded", "Test Organization: success dialog", d);
		ok(d.text.indexOf(ORG) >= 0, "the dialog names the organization", d.text);
		ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === "qs-dialog-ok",
			"the dialog's OK button has the focus");
		await page.keyboard.press("Escape");
		await page.waitForSelector("#qs-dialog", { state: "hidden" });
		ok(true, "Escape closes the dialog");
		let s = await st();
		ok(Object.keys(s.passwords).length === 0 && writesOf(s).length === writesOf(before).length &&
			snapshot(s) === snapshot(before), "mode=test wrote nothing (passwords, conf, form, app)", writesOf(s));
		const persisted = s.writes.filter((w) => w.what === "persist");
		const lastReq = persisted[persisted.length - 1].request;
		const form = {};
		lastReq.form.forEach((kv) => { form[kv[0]] = kv[1]; });
		ok(form.mode === "test" && form.host === "127.0.0.1" && form.secret === SOAR_PASSWORD &&
			form.api_keys === "0" && form.duplicates === "0" && form.num_artifacts === "5",
			"the handler got the contract's form keys", Object.keys(form));
		ok(lastReq.method === "POST" && /\/qradar_soar\/setup$/.test(lastReq.rest_path),
			"POST to /qradar_soar/setup", lastReq.rest_path);

		/* 3. Submit with a wrong password: failure dialog, still nothing written */
		await fill({ secret: "not-the-password" });
		await page.click("#qs-submit");
		d = await waitDialog();
		ok(d.title === "Setup failed" && /refused the login as "soar@example\.com"/.test(d.text) &&
			/Enter the right "Password"/.test(d.text), "wrong password: failure dialog in the admin's words", d);
		ok(!/HTTP status|\b50\d\b/.test(d.meta) && /Check the highlighted field: Password\./.test(d.meta),
			"wrong password: no HTTP status, the dialog points at the password", d.meta);
		ok(!/not-the-password/.test(JSON.stringify(d)), "the dialog does not echo the password");
		const pwMark = await page.evaluate(() => {
			const i = document.querySelector("#qs-field-secret");
			return { invalid: i.getAttribute("aria-invalid"), row: i.closest(".qs-row").classList.contains("qs-invalid"),
				others: document.querySelectorAll(".qs-row.qs-invalid").length };
		});
		ok(pwMark.invalid === "true" && pwMark.row && pwMark.others === 1, "wrong password: the password field is highlighted",
			pwMark);
		await page.screenshot({ path: path.join(OUT, "setup_page_wrong_password.png") });
		await closeDialog();
		s = await st();
		ok(Object.keys(s.passwords).length === 0 && snapshot(s) === snapshot(before),
			"a failed setup changed nothing (passwords, conf, form, app)", writesOf(s));
		ok(/Failed/.test(await page.textContent("#qs-status")), "the status shows the failed attempt",
			await page.textContent("#qs-status"));

		/* 4. Submit right: success, stored */
		await fill({ secret: SOAR_PASSWORD });
		await page.click("#qs-submit");
		d = await waitDialog();
		ok(d.title === "Setup complete", "right password: success dialog", d);
		await page.screenshot({ path: path.join(OUT, "setup_page_dialog.png") });
		await closeDialog();
		s = await st();
		const pw = s.passwords[REALM_USER];
		ok(pw && pw.clear_password === SOAR_PASSWORD && pw.realm === "SA_QRadar_SOAR_127.0.0.1" && pw.username === SOAR_USER,
			"the password is in storage/passwords", Object.keys(s.passwords));
		const stanza = (s.conf.alert_actions || {}).qradar_soar || {};
		ok(stanza["param.host"] === "127.0.0.1" && stanza["param.port"] === String(soar.port) &&
			stanza["param.org"] === ORG && stanza["param.user"] === SOAR_USER &&
			stanza["param.num_artifacts"] === "5" && stanza["param.num_events"] === "40" &&
			stanza["param.verify"] === ca, "the [qradar_soar] stanza has the submitted keys", stanza);
		ok(Object.keys(stanza).some((k) => /^param\.mapping_/.test(k)) && "param.artifact5type" in stanza,
			"the stanza has field mappings and artifact rows", Object.keys(stanza).slice(0, 40));
		ok(JSON.stringify(s.conf).indexOf(SOAR_PASSWORD) < 0, "no secret in any .conf");
		ok(typeof s.alert_html === "string" && s.alert_html.indexOf('name="action.qradar_soar.param.') >= 0,
			"the alert action's form was generated", String(s.alert_html).slice(0, 200));
		const rows = (String(s.alert_html).match(/name="action\.qradar_soar\.param\.artifact\d+"/g) || []).length;
		ok(rows === 5 && !/param\.artifact\d+(type|value|description)"/.test(s.alert_html) &&
			stanza["param.artifact5.label"] === "Artifact 5" && /^type\|value\|description/.test(stanza["param.artifact5.description"] || ""),
			"the alert form has one input per artifact row; each row's ES 8.3 label and description are stored",
			[rows, stanza["param.artifact5.label"], stanza["param.artifact5.description"]]);
		const kept = (s.conf.qradar_soar || {}).config || {};
		ok(Object.keys(kept).length === Object.keys(ibm).length && Object.keys(ibm).every((k) => kept[k] === ibm[k]),
			"IBM's [config] stanza is left as it was", kept);
		ok(s.app.configured === "1" || ((s.conf.app || {}).install || {}).is_configured === "1",
			"the app is marked configured", [s.app, (s.conf.app || {}).install]);
		ok(await page.inputValue("#qs-field-secret") === "", "the secret field is emptied after saving");
		await page.waitForFunction(() => /Succeeded/.test(document.querySelector("#qs-status").textContent));
		ok(true, "the status shows the successful setup");

		/* 5. reload: the saved values, no secret */
		await page.reload();
		await page.waitForFunction(() => document.querySelector("#qs-field-host") &&
			document.querySelector("#qs-field-host").value !== "");
		const shown = await page.evaluate(() => {
			const o = {};
			document.querySelectorAll("#qs-form input").forEach((i) => {
				o[i.name] = i.type === "checkbox" ? i.checked : i.value;
			});
			return o;
		});
		ok(shown.host === "127.0.0.1" && shown.port === String(soar.port) && shown.org === ORG &&
			shown.user === SOAR_USER && shown.verify === ca && shown.num_artifacts === "5" &&
			shown.num_events === "40" && shown.api_keys === false && shown.duplicates === false,
			"reload shows the saved configuration", shown);
		ok(shown.secret === "" && shown.proxy_password === "", "reload shows no secret");
		const storedView = await page.evaluate(() => ({
			badge: !document.querySelector("#qs-field-secret-stored").hidden,
			placeholder: document.querySelector("#qs-field-secret").placeholder,
			required: document.querySelector("#qs-field-secret").getAttribute("aria-required"),
			hint: document.querySelector("#qs-field-secret-hint").textContent
		}));
		ok(storedView.badge && /^\u2022+$/.test(storedView.placeholder) && storedView.required === null &&
			/password is stored\. Leave this empty to keep it/.test(storedView.hint),
			"reload: the password shows as stored (masked, a Stored badge), not required", storedView);
		const html = await page.content();
		ok(html.indexOf(SOAR_PASSWORD) < 0, "the secret is nowhere in the page");
		ok(/Succeeded/.test(await page.textContent("#qs-status")), "reload shows the last setup's outcome",
			await page.textContent("#qs-status"));
		await page.screenshot({ path: path.join(OUT, "setup_page.png"), fullPage: true });

		/* 5b. another setting changed, the secret left empty: the stored one is kept */
		await fill({ num_events: "41" });
		await page.click("#qs-submit");
		d = await waitDialog();
		s = await st();
		const sentKeep = {};
		s.writes.filter((w) => w.what === "persist" && w.request.method === "POST").pop().request.form.forEach((kv) => {
			sentKeep[kv[0]] = kv[1];
		});
		ok(d.title === "Setup complete" && sentKeep.secret === "" &&
			s.passwords[REALM_USER].clear_password === SOAR_PASSWORD &&
			s.conf.alert_actions.qradar_soar["param.num_events"] === "41",
			"a change without retyping the password: saved, the stored password kept", { d, sent: sentKeep.secret });
		await closeDialog();

		/* 5c. a new user needs its own secret; back to the saved one, stored again */
		await page.fill("#qs-field-user", "someone.else@example.com");
		const newUser = await page.evaluate(() => ({
			badge: !document.querySelector("#qs-field-secret-stored").hidden,
			required: document.querySelector("#qs-field-secret").getAttribute("aria-required"),
			hint: document.querySelector("#qs-field-secret-hint").textContent
		}));
		ok(!newUser.badge && newUser.required === "true" && /belongs to the saved host and email/.test(newUser.hint),
			"a changed email: the password is required again and the hint says why", newUser);
		await page.fill("#qs-field-user", SOAR_USER);
		ok(await page.evaluate(() => !document.querySelector("#qs-field-secret-stored").hidden),
			"the saved email again: the stored password serves again");

		/* 6. a bad port: the field is highlighted, focus returns to it */
		const snap1 = snapshot(await st());
		await fill({ port: "70000", secret: SOAR_PASSWORD });
		await page.click("#qs-submit");
		d = await waitDialog();
		ok(d.title === "Setup failed" && /port/i.test(d.text), "bad port: failure dialog naming the port", d);
		ok(/Port/.test(d.meta), "the dialog points at the highlighted field", d.meta);
		await closeDialog();
		await page.screenshot({ path: path.join(OUT, "setup_page_bad_port.png") });
		const mark = await page.evaluate(() => {
			const i = document.querySelector("#qs-field-port");
			const err = document.querySelector("#qs-field-port-error");
			return { invalid: i.getAttribute("aria-invalid"), row: i.closest(".qs-row").classList.contains("qs-invalid"),
				focus: document.activeElement === i, err: err.hidden ? null : err.textContent,
				described: i.getAttribute("aria-describedby"),
				others: document.querySelectorAll(".qs-invalid").length };
		});
		ok(mark.invalid === "true" && mark.row && mark.others === 1 && mark.err && /port/i.test(mark.err) &&
			mark.described.indexOf("qs-field-port-error") >= 0, "the port field (only) is highlighted with the error", mark);
		ok(mark.focus, "after the dialog the focus is on the port field");
		ok(snapshot(await st()) === snap1, "the invalid submit changed nothing");
		await page.fill("#qs-field-port", String(soar.port));
		ok(await page.evaluate(() => document.querySelectorAll(".qs-invalid").length) === 0,
			"editing the field clears the highlight");

		/* 6b. several invalid settings: the handler names them all, all are marked */
		await fill({ host: "https://soar.example.com", port: "70000", num_events: "0" });
		await page.click("#qs-test");
		d = await waitDialog();
		const marked6 = await page.$$eval(".qs-row.qs-invalid input", (l) => l.map((i) => i.name).sort());
		ok(d.title === "Connection test failed" && /^3 settings need a fix\.$/.test(d.text) && d.errors.length === 3 &&
			/^QRadar SOAR host or IP must not contain a scheme/.test(d.errors[0]) &&
			/^Port must be a whole number from 1 to 65535$/.test(d.errors[1]) &&
			/^Max result rows per run must be a whole number/.test(d.errors[2]),
			"several invalid settings: the dialog lists each with its label", d);
		ok(JSON.stringify(marked6) === JSON.stringify(["host", "num_events", "port"]),
			"several invalid settings: every one is highlighted", marked6);
		await page.screenshot({ path: path.join(OUT, "setup_page_invalid.png") });
		await closeDialog();
		ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === "qs-field-host",
			"the focus goes to the first of them");
		await fill({ host: "127.0.0.1", port: String(soar.port), num_events: "41" });

		/* 6c. no CA bundle: the system's CAs (verify = true), which do not know the test CA */
		await fill({ verify: "" });
		await page.click("#qs-test");
		d = await waitDialog();
		const sentCa = {};
		(await st()).writes.filter((w) => w.what === "persist").pop().request.form.forEach((kv) => { sentCa[kv[0]] = kv[1]; });
		ok(sentCa.verify === "true" && /is not trusted/.test(d.text) &&
			await page.evaluate(() => document.querySelector("#qs-field-verify").closest(".qs-row")
				.classList.contains("qs-invalid")),
			"an empty CA bundle sends verify = true; an untrusted certificate highlights the CA bundle", { sent: sentCa.verify, d });
		await closeDialog();
		await fill({ verify: ca });

		/* 6d. warnings in a warning style, apart from the success */
		await soarCtl("POST", "/_emu/catalogue", { fields_file: path.join(DATA, "fields_no_notable.json") });
		await page.click("#qs-submit");
		d = await waitDialog();
		ok(d.title === "Setup complete" && d.warnBox && /qs-dialog-warn/.test(d.cls) && !/qs-dialog-ok/.test(d.cls) &&
			d.warnings.some((w) => /splunk_notable_event_id/.test(w)),
			"success with a warning: the dialog shows it in an amber box, not as plain success", d);
		await page.screenshot({ path: path.join(OUT, "setup_page_warning_dialog.png") });
		await closeDialog();
		await page.waitForSelector("#qs-status .qs-status-line.qs-warn");
		const banner = await page.evaluate(() => ({
			ok: Array.from(document.querySelectorAll("#qs-status .qs-status-line.qs-ok")).map((x) => x.textContent),
			warn: Array.from(document.querySelectorAll("#qs-status .qs-status-line.qs-warn")).map((x) => x.textContent)
		}));
		ok(banner.ok.length === 1 && !/splunk_notable_event_id/.test(banner.ok[0]) && banner.warn.length === 1 &&
			/splunk_notable_event_id/.test(banner.warn[0]),
			"the status area: the warning in its own amber line, not in the green Succeeded one", banner);
		await page.evaluate(() => window.scrollTo(0, 0));
		await page.screenshot({ path: path.join(OUT, "setup_page_warning.png") });
		await soarCtl("POST", "/_emu/catalogue", { fields_file: path.join(DATA, "fields.json") });

		/* 7. hostile server text stays text */
		await sctl("POST", "/_emu/fault", { path: "/qradar_soar/setup$", method: "POST", status: 502, count: 1,
			body: { success: false, text: "<img src=x onerror=\"window.__qsXss=1\">refused", warnings: ["<b>bold</b>"] } });
		await page.click("#qs-test");
		d = await waitDialog();
		const xss = await page.evaluate(() => ({ flag: window.__qsXss, imgs: document.querySelectorAll("#qs-dialog img, #qs-dialog b").length }));
		ok(d.text.indexOf("<img src=x") === 0 && d.warnings[0] === "<b>bold</b>" && xss.flag === undefined && xss.imgs === 0,
			"server text is shown as text, never HTML", { d: d, xss: xss });
		await closeDialog();

		/* 8. Splunk 9/10 without $C.FORM_KEY / SPLUNKD_PATH: the CSRF cookie and the URL's locale */
		const page2 = await context.newPage();
		await page2.addInitScript(() => {
			let c;
			Object.defineProperty(window, "$C", { configurable: true, get: () => c, set: (v) => {
				c = Object.assign({}, v);
				delete c.FORM_KEY;
				delete c.SPLUNKD_PATH;
			} });
		});
		await page2.goto(base + VIEW);
		await page2.waitForFunction(() => document.querySelector("#qs-field-host") &&
			document.querySelector("#qs-field-host").value !== "");
		await page2.fill("#qs-field-secret", SOAR_PASSWORD);
		await page2.click("#qs-test");
		await page2.waitForSelector("#qs-dialog[open]", { state: "visible", timeout: 60000 });
		const t2 = await page2.textContent("#qs-dialog-title");
		ok(t2 === "Connection test succeeded", "without $C.FORM_KEY the page uses the CSRF cookie", t2 + ": " +
			await page2.textContent("#qs-dialog-text"));
		await page2.close();

		/* 9. API key labels switch, and the email does not stay in the key ID field */
		await page.fill("#qs-field-secret", "typed-for-email");
		await page.setChecked("#qs-field-api_keys", true);
		const lab = await page.evaluate(() => [document.querySelector('label[for="qs-field-user"]').textContent,
			document.querySelector('label[for="qs-field-secret"]').textContent,
			document.querySelector("#qs-field-user").value, document.querySelector("#qs-field-secret").value,
			document.querySelector("#qs-field-secret").getAttribute("aria-required")]);
		ok(lab[0] === "API key ID" && lab[1] === "API key secret", "Use API keys relabels user and secret", lab);
		ok(lab[2] === "" && lab[3] === "" && lab[4] === "true",
			"Use API keys clears the email and the typed password; the key's secret is required", lab);
		await page.fill("#qs-field-user", "key-id-1");
		await page.setChecked("#qs-field-api_keys", false);
		const back = await page.evaluate(() => [document.querySelector("#qs-field-user").value,
			!document.querySelector("#qs-field-secret-stored").hidden]);
		ok(back[0] === SOAR_USER && back[1], "unticking puts the email back, with its stored password", back);
		await page.setChecked("#qs-field-api_keys", true);
		ok(await page.inputValue("#qs-field-user") === "key-id-1", "ticking again puts the key ID back");

		/* 10. a user without the admin capability: told so, no form data */
		const wsUser = await sctl("POST", "/_emu/web_session", { user: "user" });
		const ctxUser = await browser.newContext({ ignoreHTTPSErrors: true });
		await ctxUser.addCookies(wsUser.cookie.split(";").map((c) => {
			const kv = c.trim().split("=");
			return { name: kv[0], value: kv.slice(1).join("="), url: base };
		}));
		const page3 = await ctxUser.newPage();
		await page3.goto(base + VIEW);
		await page3.waitForSelector(".qs-status-line.qs-bad");
		const denied = await page3.textContent("#qs-status");
		ok(/administrators/.test(denied) && await page3.inputValue("#qs-field-host") === "",
			"a non-admin is told only administrators can set up the add-on", denied);
		await ctxUser.close();

		ok(jsErrors.length === 0, "no JavaScript errors", jsErrors);
		console.log("# HTTP errors seen (expected: the failures above): " + JSON.stringify(httpErrors));
		const handlerStderr = JSON.stringify((await st()).handlers);
		ok(handlerStderr.indexOf(SOAR_PASSWORD) < 0 && handlerStderr.indexOf("not-the-password") < 0,
			"the handler's stderr has no secret");
	} finally {
		await browser.close();
	}
}

const guard = setTimeout(() => {
	ok(false, "the browser test finished within 180 s");
	stopAll();
	process.exit(1);
}, 180000);

fs.mkdirSync(OUT, { recursive: true });
main().catch((e) => {
	ok(false, "browser test ran to the end", e && e.stack ? e.stack : String(e));
}).finally(() => {
	clearTimeout(guard);
	stopAll();
	if (process.env.KEEP === "1")
		console.log("# kept " + work);
	else
		fs.rmSync(work, { recursive: true, force: true });
	console.log("1.." + n);
	process.exitCode = failed ? 1 : 0;
});
