/*
 * SA_QRadar_SOAR setup page (app.conf [ui] setup_view = qradar_soar_setup).
 *
 * Plain JavaScript, no framework: Splunk Web loads this file either through
 * a <script> tag or through its RequireJS loader (Simple XML "script="), so
 * it defines no module and only runs an IIFE that waits for its container.
 *
 * The page talks to one endpoint, the setup handler bin/qradar_soar_setup
 * (restmap.conf [script:qradar_soar_setup], exposed by web.conf), through
 * Splunk Web's proxy /<locale>/splunkd/__raw/...:
 *   GET  -> the saved configuration (never a secret) + last_setup/last_attempt
 *   POST -> form-encoded fields; mode=test only tests, anything else saves.
 * Answers are {"success", "text", "warnings", "field"?, "errors"?} with
 * HTTP 200, 400 (field names the first bad input, errors every one as
 * {field, text}), 502 (SOAR unreachable or refusing) or 500. The GET also
 * says whether a secret is stored for the saved host and user
 * (secret_stored, proxy_password_stored): a Submit may then leave the
 * secret empty, and the handler uses the stored one.
 *
 * Every text that comes from the server is put on the page with
 * textContent, never parsed as HTML.
 */
(function () {
	"use strict";

	var APP = "SA_QRadar_SOAR";
	var ENDPOINT = "/servicesNS/nobody/" + APP + "/qradar_soar/setup";
	var TIMEOUT_MS = 180000;

	/*
	 * The form, in the order shown. key = the handler's form key. The
	 * labels follow IBM's setup guide so existing documentation applies.
	 */
	var SECTIONS = [
		{
			title: "QRadar SOAR server",
			fields: [
				{ key: "host", label: "QRadar SOAR host or IP", type: "text", required: true,
				  hint: "Host name or IP address only, without https:// (for Cloud Pak for Security: cases-rest.<domain>)." },
				{ key: "port", label: "Port", type: "text", numeric: true, def: "443", narrow: true,
				  hint: "HTTPS port, 1-65535." },
				{ id: "verify_cert", label: "Verify SOAR's certificate", type: "checkbox", fixed: true,
				  hint: "Always on: every connection checks SOAR's certificate and that it is issued to the host above, " +
					"so nobody between Splunk and SOAR can read the credentials or the alerts (IBM's add-on requires " +
					"it too since 2.3.0). It cannot be turned off; for a certificate the search head does not trust, " +
					"give its CA as the CA bundle." },
				{ key: "verify", label: "CA bundle", type: "text", optional: true,
				  hint: "Optional. Leave empty to trust the CAs of the search head's system. For a self-signed certificate " +
					"or a private CA: the absolute path of a PEM file on the search head holding the CA that issued " +
					"SOAR's certificate." }
			]
		},
		{
			title: "Authentication",
			fields: [
				{ key: "org", label: "Organization", type: "text", required: true,
				  hint: "The SOAR organization name (for Cloud Pak for Security its UUID)." },
				{ key: "api_keys", label: "Use API keys", type: "checkbox",
				  hint: "Authenticate with an API key ID and secret instead of an email and password (required for Cloud Pak for Security)." },
				{ key: "user", label: "Email", altLabel: "API key ID", type: "text", required: true,
				  hint: "The SOAR account's email address.", altHint: "The ID of the SOAR API key." },
				{ key: "secret", label: "Password", altLabel: "API key secret", type: "password", secret: true,
				  required: true, owner: ["host", "user"],
				  hint: "Kept in Splunk's secure storage (storage/passwords), never shown again.",
				  altHint: "Kept in Splunk's secure storage (storage/passwords), never shown again." }
			]
		},
		{
			title: "Alert action",
			fields: [
				{ key: "duplicates", label: "Allow duplicate incidents", type: "checkbox",
				  hint: "Checked: every alert creates a new case. Unchecked: an alert for a notable event that already has an open case updates that case (needs the splunk_notable_event_id custom field in SOAR)." },
				{ key: "num_artifacts", label: "Max artifacts per alert", type: "text", numeric: true, def: "10", narrow: true,
				  hint: "How many artifact rows the alert action offers, 1-99." },
				{ key: "num_events", label: "Max result rows per run", type: "text", numeric: true, def: "30", narrow: true,
				  hint: "How many result rows one run of the alert escalates, 1-10000." }
			]
		},
		{
			title: "Closing the loop",
			fields: [
				{ key: "sync_closed", label: "Close the notable when its SOAR case closes", type: "checkbox",
				  hint: "Checked: every 5 minutes the search \"QRadar SOAR - Sync closed cases\" sets the Enterprise Security notable of each case closed in SOAR to the status below, with the case's resolution as the comment (cases closed from now on). Needs Enterprise Security and the edit_notable_events capability for the search's owner." },
				{ key: "sync_close_status", label: "Notable status when the case closes", type: "text", numeric: true, def: "5", narrow: true,
				  hint: "The id of an Enterprise Security notable status (Configure > Incident Management > Status Configuration); 5 is \"Closed\"." }
			]
		},
		{
			title: "Proxy (optional)",
			intro: "Leave the proxy host empty to connect to SOAR directly.",
			fields: [
				{ key: "proxy_host", label: "Proxy host", type: "text", hint: "Host name or IP of an HTTP proxy, without http://." },
				{ key: "proxy_port", label: "Proxy port", type: "text", numeric: true, narrow: true,
				  requiredWith: "proxy_host", hint: "Required with a proxy host." },
				{ key: "proxy_user", label: "Proxy user", type: "text", hint: "Only if the proxy asks for credentials." },
				{ key: "proxy_password", label: "Proxy password", type: "password", secret: true,
				  requiredWith: "proxy_user", owner: ["proxy_user"],
				  hint: "Required with a proxy user; kept in Splunk's secure storage, never shown again." }
			]
		}
	];

	/* The form's keys (the handler's); a fixed field has an id only. */
	var FIELDS = {};
	SECTIONS.forEach(function (s) {
		s.fields.forEach(function (f) {
			if (f.key)
				FIELDS[f.key] = f;
		});
	});
	/* Settings the handler names that have their input under another key. */
	var INPUT_OF = { ca_file: "verify" };

	/* ---- small DOM helpers (text only, never HTML) ---------------------- */

	function el(tag, attrs, children) {
		var n = document.createElement(tag);
		var k;
		for (k in attrs || {}) {
			if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] === null || attrs[k] === undefined)
				continue;
			if (k === "text")
				n.textContent = attrs[k];
			else if (k === "className")
				n.className = attrs[k];
			else if (attrs[k] === true)
				n.setAttribute(k, "");
			else if (attrs[k] !== false)
				n.setAttribute(k, String(attrs[k]));
		}
		(children || []).forEach(function (c) {
			if (c)
				n.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
		});
		return n;
	}

	function clear(n) {
		while (n.firstChild)
			n.removeChild(n.firstChild);
	}

	function str(v) {
		if (v === null || v === undefined)
			return "";
		return typeof v === "string" ? v : String(v);
	}

	function truthy(v) {
		return v === true || v === 1 || v === "1" || v === "true" || v === "True";
	}

	/* ---- where to call, and with which CSRF token ------------------------ */

	function config() {
		return window.$C || {};
	}

	/* Splunk Web's splunkd proxy: $C knows it; otherwise the URL does
	 * (/[root/]<locale>/app/<app>/<view>). */
	function splunkdPath() {
		var C = config();
		if (C.SPLUNKD_PATH)
			return C.SPLUNKD_PATH;
		var p = window.location.pathname;
		var i = p.indexOf("/app/");
		if (i > 0)
			return p.substring(0, i) + "/splunkd/__raw";
		return (C.MRSPARKLE_ROOT_PATH || "") + "/" + (C.LOCALE || "en-US") + "/splunkd/__raw";
	}

	function cookie(name) {
		var parts = document.cookie ? document.cookie.split(";") : [];
		for (var i = 0; i < parts.length; i++) {
			var p = parts[i].replace(/^\s+/, "");
			var eq = p.indexOf("=");
			if (eq > 0 && p.substring(0, eq) === name)
				return decodeURIComponent(p.substring(eq + 1));
		}
		return null;
	}

	/* $C.FORM_KEY when Splunk Web put it there; else the cookie
	 * splunkweb_csrf_token_<splunkweb port> (Splunk 9/10). Behind a reverse
	 * proxy the page's port is not splunkweb's: then the only such cookie. */
	function formKey() {
		var C = config();
		if (C.FORM_KEY)
			return C.FORM_KEY;
		var port = window.location.port || (window.location.protocol === "https:" ? "443" : "80");
		var v = cookie("splunkweb_csrf_token_" + port);
		if (v)
			return v;
		var found = null;
		(document.cookie || "").split(";").forEach(function (p) {
			p = p.replace(/^\s+/, "");
			if (p.indexOf("splunkweb_csrf_token_") === 0 && p.indexOf("=") > 0)
				found = decodeURIComponent(p.substring(p.indexOf("=") + 1));
		});
		return found || "";
	}

	/*
	 * One call to the handler. Resolves to {status, data} where data is the
	 * handler's payload, or a synthesized {success:false, text} when the
	 * answer is not the handler's (splunkd's own errors, a proxy page).
	 */
	function call(method, fields) {
		var opts = {
			method: method,
			credentials: "same-origin",
			headers: { "Accept": "application/json", "X-Requested-With": "XMLHttpRequest" }
		};
		var timer = null;
		if (method !== "GET") {
			opts.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8";
			opts.headers["X-Splunk-Form-Key"] = formKey();
			opts.body = encodeForm(fields);
		}
		if (typeof AbortController === "function") {
			var ac = new AbortController();
			opts.signal = ac.signal;
			timer = setTimeout(function () { ac.abort(); }, TIMEOUT_MS);
		}
		return fetch(splunkdPath() + ENDPOINT + "?output_mode=json", opts).then(function (res) {
			return res.text().then(function (body) {
				return { status: res.status, data: interpret(res.status, body) };
			});
		}, function (e) {
			var aborted = e && e.name === "AbortError";
			return { status: 0, data: { success: false, warnings: [], text: aborted ?
				"No answer from Splunk within " + TIMEOUT_MS / 1000 + " seconds. The setup may still be running: reload the page in a minute to see its outcome." :
				"Splunk Web could not be reached: " + str(e && e.message) } };
		}).then(function (r) {
			if (timer)
				clearTimeout(timer);
			return r;
		});
	}

	function encodeForm(fields) {
		var out = [];
		Object.keys(fields).forEach(function (k) {
			out.push(encodeURIComponent(k) + "=" + encodeURIComponent(fields[k]));
		});
		return out.join("&").replace(/%20/g, "+");
	}

	function interpret(status, body) {
		var j = null;
		try {
			j = JSON.parse(body);
		} catch (e) {
			j = null;
		}
		/* Some splunkd versions hand the persist reply back whole. */
		if (j && typeof j === "object" && j.payload && typeof j.payload === "object" && "status" in j)
			j = j.payload;
		/* splunkd's own answer: {"messages":[{"type":"ERROR","text":"..."}]} */
		if (j && typeof j === "object" && Array.isArray(j.messages) && j.messages.length && !("success" in j)) {
			return { success: false, warnings: [], text: j.messages.map(function (m) {
				return str(m && m.text);
			}).join(" ") + httpHint(status) };
		}
		if (j && typeof j === "object" && !Array.isArray(j))
			return j;
		var snippet = str(body).replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().substring(0, 300);
		return { success: false, warnings: [],
			text: "Unexpected answer from Splunk (HTTP " + status + ")" + (snippet ? ": " + snippet : ".") + httpHint(status) };
	}

	function httpHint(status) {
		if (status === 401)
			return " Your Splunk Web session may have expired: reload the page and log in again.";
		if (status === 403)
			return " Only Splunk administrators can set up this add-on.";
		if (status === 404)
			return " Is the add-on's setup handler installed (restmap.conf, web.conf) and Splunk restarted?";
		return "";
	}

	/* ---- the page ------------------------------------------------------- */

	function Page(root) {
		this.root = root;
		this.inputs = {};
		this.rows = {};
		this.labels = {};
		this.hints = {};
		this.errors = {};
		this.reqMarks = {};
		this.storedBadges = {};
		this.busy = false;
		this.badField = null;
		/* what the handler holds: the saved host/user/proxy user and whether a
		 * secret is stored for them (GET) */
		this.loaded = {};
		/* the user typed for each mode, so switching back restores it */
		this.userByMode = { "0": "", "1": "" };
		this.build();
	}

	Page.prototype.build = function () {
		var self = this;
		clear(this.root);
		this.root.classList.add("qs-setup");

		this.root.appendChild(el("div", { className: "qs-head" }, [
			el("h1", { text: "QRadar SOAR Add-on for Splunk: setup" }),
			el("p", { className: "qs-lead", text:
				"Connect Splunk to IBM QRadar SOAR. Submit checks the connection, stores the secret in Splunk's " +
				"secure storage and loads the organization's case fields and artifact types into the " +
				"\"Create QRadar SOAR Case\" alert action. Test Organization only checks, without saving." }),
			el("p", { className: "qs-legend" }, [
				el("span", { className: "qs-req", "aria-hidden": "true", text: "*" }), " marks a required field."])
		]));

		this.status = el("div", { className: "qs-status", role: "status", "aria-live": "polite", id: "qs-status" });
		this.root.appendChild(this.status);

		var form = el("form", { className: "qs-form", novalidate: true, autocomplete: "off", id: "qs-form",
			"aria-describedby": "qs-status" });
		this.form = form;
		SECTIONS.forEach(function (s) {
			var fs = el("fieldset", { className: "qs-section" }, [el("legend", { text: s.title })]);
			if (s.intro)
				fs.appendChild(el("p", { className: "qs-intro", text: s.intro }));
			s.fields.forEach(function (f) { fs.appendChild(self.buildField(f)); });
			form.appendChild(fs);
		});

		this.busyBox = el("span", { className: "qs-busy", hidden: true, role: "status", "aria-live": "polite" }, [
			el("span", { className: "qs-spinner" }),
			el("span", { className: "qs-busy-text" })
		]);
		this.testBtn = el("button", { type: "button", className: "qs-btn", id: "qs-test", text: "Test Organization" });
		this.saveBtn = el("button", { type: "submit", className: "qs-btn qs-btn-primary", id: "qs-submit", text: "Submit" });
		form.appendChild(el("div", { className: "qs-actions" }, [this.busyBox, this.testBtn, this.saveBtn]));
		this.root.appendChild(form);

		this.buildDialog();

		this.mode = this.inputs.api_keys.checked ? "1" : "0";
		this.inputs.api_keys.addEventListener("change", function () { self.switchMode(); });
		this.testBtn.addEventListener("click", function () { self.run(true); });
		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			self.run(false);
		});
		Object.keys(this.inputs).forEach(function (k) {
			self.inputs[k].addEventListener("input", function () {
				self.unmark(k);
				self.refreshRequired();
			});
		});
		this.authLabels();
		this.refreshRequired();
	};

	Page.prototype.buildField = function (f) {
		var name = f.key || f.id;
		var id = "qs-field-" + name;
		var hintId = id + "-hint";
		var errId = id + "-error";
		var input = el("input", {
			id: id, name: f.key || null, type: f.type,
			className: f.type === "checkbox" ? "qs-check" : "qs-input" + (f.narrow ? " qs-narrow" : ""),
			autocomplete: f.secret ? "new-password" : "off",
			inputmode: f.numeric ? "numeric" : null,
			spellcheck: f.type === "text" ? "false" : null,
			"aria-describedby": hintId
		});
		if (f.fixed) {
			/* shown, explained, never sent: the handler always verifies */
			input.checked = true;
			input.disabled = true;
		}
		if (f.def)
			input.setAttribute("placeholder", f.def);
		var req = el("span", { className: "qs-req", "aria-hidden": "true", text: "*", hidden: true });
		var label = el("label", { "for": id, className: "qs-label", text: f.label });
		var hint = el("div", { className: "qs-hint", id: hintId, text: f.hint || "" });
		var error = el("div", { className: "qs-error", id: errId, hidden: true });
		var row;
		if (f.type === "checkbox") {
			row = el("div", { className: "qs-row qs-row-check" + (f.fixed ? " qs-row-fixed" : "") }, [
				el("span", { className: "qs-label-col" }),
				el("div", { className: "qs-control" }, [
					el("div", { className: "qs-check-line" }, [input, label]), error, hint])
			]);
		} else {
			var control = [input];
			if (f.secret) {
				this.storedBadges[f.key] = el("span", { className: "qs-stored", hidden: true,
					id: id + "-stored", text: "Stored" });
				control.push(this.storedBadges[f.key]);
			}
			row = el("div", { className: "qs-row" }, [
				el("div", { className: "qs-label-col" }, [label, req]),
				el("div", { className: "qs-control" }, [el("div", { className: "qs-input-line" }, control),
					error, hint])
			]);
		}
		this.inputs[name] = input;
		this.rows[name] = row;
		this.labels[name] = label;
		this.hints[name] = hint;
		this.errors[name] = error;
		this.reqMarks[name] = req;
		return row;
	};

	Page.prototype.buildDialog = function () {
		var self = this;
		this.dlgTitle = el("h2", { id: "qs-dialog-title", className: "qs-dialog-title" });
		this.dlgText = el("p", { id: "qs-dialog-text", className: "qs-dialog-text" });
		this.dlgErrors = el("ul", { id: "qs-dialog-errors", className: "qs-errors", hidden: true });
		this.dlgWarnHead = el("h3", { className: "qs-dialog-subtitle", text: "Warnings: the setup works, but" });
		this.dlgWarn = el("ul", { id: "qs-dialog-warnings", className: "qs-warnings" });
		this.dlgWarnBox = el("div", { className: "qs-warn-box", id: "qs-dialog-warnbox", role: "note", hidden: true },
			[this.dlgWarnHead, this.dlgWarn]);
		this.dlgMeta = el("p", { className: "qs-dialog-meta", hidden: true });
		this.dlgOk = el("button", { type: "button", className: "qs-btn qs-btn-primary", id: "qs-dialog-ok", text: "OK" });
		this.dlgIcon = el("span", { className: "qs-dialog-icon", "aria-hidden": "true" });
		this.dialog = el("dialog", { className: "qs-dialog", id: "qs-dialog", "aria-labelledby": "qs-dialog-title",
			"aria-describedby": "qs-dialog-text" }, [
			el("div", { className: "qs-dialog-head" }, [this.dlgIcon, this.dlgTitle]),
			el("div", { className: "qs-dialog-body" }, [this.dlgText, this.dlgErrors, this.dlgWarnBox, this.dlgMeta]),
			el("div", { className: "qs-dialog-foot" }, [this.dlgOk])
		]);
		this.dlgOk.addEventListener("click", function () { self.closeDialog(); });
		/* Escape closes a native modal dialog by itself ("cancel"); the
		 * fallback overlay needs the key handled here. */
		this.dialog.addEventListener("cancel", function (ev) {
			ev.preventDefault();
			self.closeDialog();
		});
		this.dialog.addEventListener("keydown", function (ev) {
			if (ev.key === "Escape") {
				ev.preventDefault();
				self.closeDialog();
			}
		});
		this.root.appendChild(this.dialog);
	};

	Page.prototype.labelOf = function (k) {
		var f = FIELDS[k];
		if (!f)
			return k;
		return this.inputs.api_keys.checked && f.altLabel ? f.altLabel : f.label;
	};

	/* Email/password or API key ID/secret, as the checkbox says. */
	Page.prototype.authLabels = function () {
		var alt = this.inputs.api_keys.checked;
		var self = this;
		["user", "secret"].forEach(function (k) {
			var f = FIELDS[k];
			self.labels[k].textContent = alt ? f.altLabel : f.label;
			self.hints[k].textContent = alt ? f.altHint : f.hint;
		});
	};

	/* Email and API key ID are different things: switching the mode puts
	 * back what was typed for the other mode (empty at first) and drops a
	 * typed secret, which belonged to the other account. */
	Page.prototype.switchMode = function () {
		var mode = this.inputs.api_keys.checked ? "1" : "0";
		if (mode === this.mode)
			return;
		this.userByMode[this.mode] = this.inputs.user.value;
		this.inputs.user.value = this.userByMode[mode] || "";
		this.inputs.secret.value = "";
		this.mode = mode;
		this.unmark("user");
		this.unmark("secret");
		this.authLabels();
		this.refreshRequired();
	};

	/* A stored secret serves while the settings it belongs to are the
	 * ones saved: the host and user for the SOAR secret, the proxy user
	 * for the proxy password. */
	Page.prototype.secretKept = function (k) {
		var L = this.loaded;
		var self = this;
		if (!L[k + "_stored"])
			return false;
		if (k === "secret" && (this.inputs.api_keys.checked ? "1" : "0") !== (truthy(L.api_keys) ? "1" : "0"))
			return false;
		return FIELDS[k].owner.every(function (o) { return self.inputs[o].value.trim() === str(L[o]); });
	};

	Page.prototype.isRequired = function (k) {
		var f = FIELDS[k];
		if (!f)
			return false;
		if (f.secret) {
			var needed = f.required || (f.requiredWith && this.inputs[f.requiredWith].value.trim() !== "");
			return !!needed && !this.secretKept(k);
		}
		if (f.requiredWith)
			return this.inputs[f.requiredWith].value.trim() !== "";
		return !!f.required;
	};

	/* The required marks, the secrets' stored state and their hints, as
	 * the form now stands. */
	Page.prototype.refreshRequired = function () {
		var self = this;
		Object.keys(FIELDS).forEach(function (k) {
			var on = self.isRequired(k);
			self.reqMarks[k].hidden = !on;
			if (on)
				self.inputs[k].setAttribute("aria-required", "true");
			else
				self.inputs[k].removeAttribute("aria-required");
		});
		["secret", "proxy_password"].forEach(function (k) {
			var f = FIELDS[k];
			var kept = self.secretKept(k);
			var typed = self.inputs[k].value !== "";
			var base = self.inputs.api_keys.checked && f.altHint ? f.altHint : f.hint;
			var what = self.labelOf(k).toLowerCase();
			self.storedBadges[k].hidden = !(kept && !typed);
			self.inputs[k].setAttribute("placeholder", kept ? "\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022" :
				(self.isRequired(k) ? "Required" : ""));
			if (kept)
				self.hints[k].textContent = "A " + what + " is stored. Leave this empty to keep it, or type a new one " +
					"to replace it. " + base;
			else if (self.loaded[k + "_stored"] && self.isRequired(k) && !typed)
				self.hints[k].textContent = "The stored " + what + " belongs to the saved " +
					(k === "secret" ? "host and " + self.labelOf("user").toLowerCase() : "proxy user") +
					": enter the one for the new settings. " + base;
			else
				self.hints[k].textContent = base;
		});
	};

	/* verify as stored: true (or empty) is the system's CAs, a path the CA
	 * bundle; IBM's "Connect Securely" left false behind, which cannot work
	 * here: the field stays empty and the page says why. */
	Page.prototype.fillVerify = function (v) {
		v = str(v).trim();
		var off = /^(false|0|no|off|f|n)$/i.test(v);
		this.inputs.verify.value = (v === "" || truthy(v) || /^(yes|on|t|y)$/i.test(v) || off) ? "" : v;
		this.verifyNote = off;
		if (off)
			this.mark("verify", "IBM's setup stored verify = " + v + " (certificate checks off). This add-on always " +
				"verifies SOAR's certificate: leave the CA bundle empty to trust the system's CAs, or give the CA " +
				"of a self-signed certificate, then Submit.", true);
	};

	Page.prototype.fill = function (cfg) {
		var self = this;
		Object.keys(FIELDS).forEach(function (k) {
			var f = FIELDS[k];
			var input = self.inputs[k];
			if (f.secret) {
				input.value = "";
				return;
			}
			if (k === "verify")
				return;
			if (f.type === "checkbox")
				input.checked = truthy(cfg[k]);
			else
				input.value = (cfg[k] === null || cfg[k] === undefined || cfg[k] === "") ? (f.def || "") : str(cfg[k]);
		});
		this.fillVerify(cfg.verify);
		this.remember(cfg);
		this.mode = this.inputs.api_keys.checked ? "1" : "0";
		this.userByMode = { "0": "", "1": "" };
		this.userByMode[this.mode] = this.inputs.user.value;
		this.authLabels();
		this.refreshRequired();
	};

	/* What the handler holds (it changes with every successful Submit). */
	Page.prototype.remember = function (cfg) {
		this.loaded = {
			host: str(cfg.host), user: str(cfg.user), api_keys: str(cfg.api_keys), proxy_user: str(cfg.proxy_user),
			secret_stored: truthy(cfg.secret_stored), proxy_password_stored: truthy(cfg.proxy_password_stored)
		};
	};

	Page.prototype.values = function () {
		var out = {};
		var self = this;
		Object.keys(FIELDS).forEach(function (k) {
			var input = self.inputs[k];
			if (FIELDS[k].type === "checkbox")
				out[k] = input.checked ? "1" : "0";
			else
				out[k] = FIELDS[k].secret ? input.value : input.value.trim();
		});
		/* the certificate is always verified: against the CA bundle, else
		 * the system's CAs */
		out.verify = out.verify || "true";
		return out;
	};

	/* A setup's outcome for the status area: the result in green or red,
	 * its warnings apart in amber. */
	Page.prototype.describeOutcome = function (o, what) {
		var when = formatTime(o.time);
		var ok = truthy(o.success);
		var out = [el("div", { className: "qs-status-line " + (ok ? "qs-ok" : "qs-bad") }, [
			el("span", { className: "qs-badge", text: ok ? "Succeeded" : "Failed" }),
			el("strong", { text: what + (when ? " (" + when + ")" : "") + ": " }),
			el("span", { text: str(o.text) || (ok ? "completed." : "no details.") })
		])];
		var w = Array.isArray(o.warnings) ? o.warnings : [];
		if (w.length) {
			var ul = el("ul", { className: "qs-status-warnings" });
			w.forEach(function (t) { ul.appendChild(el("li", { text: str(t) })); });
			out.push(el("div", { className: "qs-status-line qs-warn" }, [
				el("span", { className: "qs-badge", text: w.length === 1 ? "Warning" : w.length + " warnings" }),
				el("strong", { text: "Needs your attention:" }), ul]));
		}
		return out;
	};

	Page.prototype.showStatus = function (cfg) {
		var self = this;
		clear(this.status);
		var last = cfg && cfg.last_setup && typeof cfg.last_setup === "object" ? cfg.last_setup : null;
		var attempt = cfg && cfg.last_attempt && typeof cfg.last_attempt === "object" ? cfg.last_attempt : null;
		var add = function (nodes) { nodes.forEach(function (n) { self.status.appendChild(n); }); };
		/* An upgrade over IBM's add-on: the form holds IBM's stored settings. */
		if (cfg && cfg.prefilled_from)
			this.status.appendChild(el("div", { className: "qs-status-line qs-none", text:
				"The form holds the settings of IBM's add-on (" + str(cfg.prefilled_from) +
				"), which the alert action uses until this form is submitted. " + (truthy(cfg.secret_stored) ?
				"Check them and click Submit to store them as this add-on's (the secret IBM's setup stored is used " +
				"unless you type a new one)" : "Enter the password (or API key secret) and click Submit to store them " +
				"as this add-on's") + "; IBM's settings are left as they are." }));
		if (!last && !attempt) {
			this.status.appendChild(el("div", { className: "qs-status-line qs-none", text:
				"The add-on has not been set up yet. Fill in the form and click Submit." }));
			return;
		}
		if (last)
			add(this.describeOutcome(last, "Last setup"));
		/* A later failed attempt left the last working setup in place: say so. */
		if (attempt && (!last || str(attempt.time) !== str(last.time) || truthy(attempt.success) !== truthy(last.success)))
			add(this.describeOutcome(attempt, last ? "Last attempt, which changed nothing" : "Last attempt"));
	};

	Page.prototype.load = function () {
		var self = this;
		this.setBusy(true, "Loading the saved configuration…");
		return call("GET").then(function (r) {
			self.setBusy(false);
			if (r.status === 200 && r.data && r.data.success !== false) {
				self.fill(r.data);
				self.showStatus(r.data);
			} else {
				self.fill({});
				clear(self.status);
				self.status.appendChild(el("div", { className: "qs-status-line qs-bad" }, [
					el("span", { className: "qs-badge", text: "Error" }),
					el("span", { text: "Could not read the saved configuration: " + str(r.data.text) })
				]));
			}
		});
	};

	/* Both buttons off while a request runs; the text (a live region)
	 * tells a screen reader what the spinner shows. */
	Page.prototype.setBusy = function (on, text) {
		this.busy = on;
		this.testBtn.disabled = on;
		this.saveBtn.disabled = on;
		this.form.setAttribute("aria-busy", on ? "true" : "false");
		this.busyBox.hidden = !on;
		this.busyBox.lastChild.textContent = on ? text : "";
	};

	Page.prototype.unmark = function (k) {
		if (!this.rows[k])
			return;
		this.rows[k].classList.remove("qs-invalid");
		this.rows[k].classList.remove("qs-notice");
		this.inputs[k].removeAttribute("aria-invalid");
		this.inputs[k].setAttribute("aria-describedby", this.hints[k].id);
		this.errors[k].hidden = true;
		this.errors[k].textContent = "";
		if (this.badField === k)
			this.badField = null;
	};

	/* Highlights field k with text; notice: a note to read, not an error.
	 * The first field marked gets the focus when the dialog closes. */
	Page.prototype.mark = function (k, text, notice) {
		k = INPUT_OF[k] || k;
		if (!this.rows[k])
			return;
		this.rows[k].classList.add(notice ? "qs-notice" : "qs-invalid");
		if (!notice)
			this.inputs[k].setAttribute("aria-invalid", "true");
		this.inputs[k].setAttribute("aria-describedby", this.errors[k].id + " " + this.hints[k].id);
		this.errors[k].textContent = text;
		this.errors[k].hidden = false;
		if (!notice && !this.badField)
			this.badField = k;
	};

	/* Empty required fields, all at once, before anything is sent. */
	Page.prototype.missing = function () {
		var self = this;
		var out = [];
		Object.keys(FIELDS).forEach(function (k) {
			var v = FIELDS[k].secret ? self.inputs[k].value : self.inputs[k].value.trim();
			if (self.isRequired(k) && v === "")
				out.push({ field: k, text: self.labelOf(k) + " is required" +
					(FIELDS[k].requiredWith ? " with a " + self.labelOf(FIELDS[k].requiredWith).toLowerCase() : "") +
					"." });
		});
		return out;
	};

	Page.prototype.run = function (test) {
		var self = this;
		if (this.busy)
			return;
		Object.keys(this.inputs).forEach(function (k) { self.unmark(k); });
		var gaps = this.missing();
		if (gaps.length) {
			gaps.forEach(function (g) { self.mark(g.field, g.text); });
			this.openDialog(test, false, { text: gaps.length === 1 ? "One required setting is empty." :
				gaps.length + " required settings are empty.", errors: gaps, warnings: [] }, true);
			return;
		}
		var v = this.values();
		if (test)
			v.mode = "test";
		this.setBusy(true, test ? "Testing the connection to QRadar SOAR…" :
			"Setting up: connecting to QRadar SOAR and saving. This can take a moment…");
		call("POST", v).then(function (r) {
			self.setBusy(false);
			var d = r.data || {};
			var ok = r.status === 200 && truthy(d.success);
			if (!ok)
				self.markAll(d);
			self.openDialog(test, ok, d, false, r.status);
			if (ok && !test) {
				/* The secrets are stored now; do not leave them in the page. */
				self.inputs.secret.value = "";
				self.inputs.proxy_password.value = "";
			}
			if (!test)
				return self.refreshStatus();
		});
	};

	/* Every field the handler refused, or the one setting to change. */
	Page.prototype.markAll = function (d) {
		var self = this;
		var errs = Array.isArray(d.errors) ? d.errors : [];
		errs.forEach(function (e) {
			if (e && typeof e.field === "string")
				self.mark(e.field, str(e.text));
		});
		if (!errs.length && typeof d.field === "string")
			this.mark(d.field, str(d.text));
	};

	/* After a submit, show the handler's own record of the outcome and
	 * what it now holds. */
	Page.prototype.refreshStatus = function () {
		var self = this;
		return call("GET").then(function (r) {
			if (r.status === 200 && r.data && r.data.success !== false) {
				self.remember(r.data);
				self.refreshRequired();
				self.showStatus(r.data);
			}
		});
	};

	/* The answer in the admin's words: what happened, each field to fix
	 * (its label and why), the warnings apart, and whether anything
	 * changed; never an HTTP status. */
	Page.prototype.openDialog = function (test, ok, d, local, status) {
		var self = this;
		var w = Array.isArray(d.warnings) ? d.warnings : [];
		var errs = (Array.isArray(d.errors) ? d.errors : []).filter(function (e) { return e && e.field; });
		var marked = Object.keys(this.rows).filter(function (k) { return self.rows[k].classList.contains("qs-invalid"); });
		this.dialog.classList.toggle("qs-dialog-ok", ok && !w.length);
		this.dialog.classList.toggle("qs-dialog-warn", ok && w.length > 0);
		this.dialog.classList.toggle("qs-dialog-bad", !ok);
		this.dlgIcon.textContent = ok && !w.length ? "\u2713" : "!";
		if (local)
			this.dlgTitle.textContent = "Fill in the required settings";
		else
			this.dlgTitle.textContent = test ? (ok ? "Connection test succeeded" : "Connection test failed") :
				(ok ? "Setup complete" : "Setup failed");
		this.dlgText.textContent = (errs.length > 1 ? (local ? str(d.text) : errs.length + " settings need a fix.") :
			str(d.text)) || (ok ? "Done." : "The setup handler gave no details.");
		clear(this.dlgErrors);
		/* each problem with its setting's label in bold (once: the
		 * handler's sentences begin with it) */
		if (errs.length > 1)
			errs.forEach(function (e) {
				var k = INPUT_OF[e.field] || e.field;
				var label = self.rows[k] ? self.labelOf(k) : str(e.field);
				var text = str(e.text);
				var rest = text.indexOf(label) === 0 ? text.substring(label.length) : ": " + text;
				self.dlgErrors.appendChild(el("li", {}, [el("strong", { text: label }), el("span", { text: rest })]));
			});
		this.dlgErrors.hidden = errs.length < 2;
		clear(this.dlgWarn);
		w.forEach(function (t) { self.dlgWarn.appendChild(el("li", { text: str(t) })); });
		this.dlgWarnBox.hidden = w.length === 0;
		var meta = [];
		if (marked.length)
			meta.push((marked.length === 1 ? "Check the highlighted field: " : "Check the highlighted fields: ") +
				marked.map(function (k) { return self.labelOf(k); }).join(", ") + ".");
		if (!ok && !test && !local && status !== 400)
			meta.push("Nothing was changed: the previous configuration is still in place. Details are in the Messages menu and in $SPLUNK_HOME/var/log/splunk/qradar_soar_config_handler.log.");
		if (!ok && local)
			meta.push("Nothing was sent.");
		else if (!ok && !test && status === 400)
			meta.push("Nothing was saved.");
		if (ok && test)
			meta.push("Nothing was saved. Click Submit to save this configuration.");
		this.dlgMeta.textContent = meta.join(" ");
		this.dlgMeta.hidden = meta.length === 0;
		this.returnFocus = document.activeElement;
		if (typeof this.dialog.showModal === "function" && !this.dialog.open)
			this.dialog.showModal();
		else
			this.dialog.setAttribute("open", "");
		this.dlgOk.focus();
	};

	Page.prototype.closeDialog = function () {
		if (typeof this.dialog.close === "function" && this.dialog.open)
			this.dialog.close();
		else
			this.dialog.removeAttribute("open");
		var target = this.badField ? this.inputs[this.badField] : this.returnFocus;
		if (target && typeof target.focus === "function" && !target.disabled)
			target.focus();
	};

	function formatTime(t) {
		if (t === null || t === undefined || t === "")
			return "";
		var d = null;
		if (typeof t === "number" || /^\d+(\.\d+)?$/.test(str(t)))
			d = new Date(Number(t) * 1000);
		else
			d = new Date(str(t));
		if (isNaN(d.getTime()))
			return str(t);
		try {
			return d.toLocaleString();
		} catch (e) {
			return d.toISOString();
		}
	}

	/* ---- start ------------------------------------------------------------ */

	/* Simple XML may render the <html> panel after this script has run:
	 * wait for the container a while, then make one. */
	function start(tries) {
		var root = document.getElementById("qs-setup");
		if (!root && tries > 0) {
			setTimeout(function () { start(tries - 1); }, 100);
			return;
		}
		if (!root) {
			root = el("div", { id: "qs-setup" });
			(document.querySelector(".dashboard-body") || document.body).appendChild(root);
		}
		if (root.getAttribute("data-qs-started"))
			return;
		root.setAttribute("data-qs-started", "1");
		var page = new Page(root);
		window.qsSetupPage = page;
		page.load();
	}

	if (document.readyState === "loading")
		document.addEventListener("DOMContentLoaded", function () { start(100); });
	else
		start(100);
})();
