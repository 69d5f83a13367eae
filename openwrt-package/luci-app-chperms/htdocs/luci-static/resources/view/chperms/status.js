'use strict';
'require view';
'require rpc';
'require ui';
'require dom';

// Services → chperms → Status: per tree (vhost or policy file) the last
// result of a check, its findings, the watcher's state from procd, and the
// two actions: Check now, and Repair (a dry run shown first, then confirmed).
// Data: the rpcd backend luci.chperms (check, apply) and procd's service list.

var callCheck = rpc.declare({
	object: 'luci.chperms',
	method: 'check',
	params: [ 'tree', 'cached' ],
	expect: { '': {} }
});

var callApply = rpc.declare({
	object: 'luci.chperms',
	method: 'apply',
	params: [ 'tree', 'dry_run' ],
	expect: { '': {} }
});

var callServiceList = rpc.declare({
	object: 'service',
	method: 'list',
	params: [ 'name' ],
	expect: { '': {} }
});

// A remembered result older than this is checked again when the page opens.
var STALE_SECS = 300;

// chperms' finding kinds and actions (README "Output") in plain words.
var KIND = {
	owner: _('owner'), group: _('group'), mode: _('mode'), missing: _('missing'),
	type: _('wrong type'), unsafe: _('unsafe entry'), process: _('process'), error: _('error')
};
var ACTION = {
	'would-fix': _('would be fixed'), fixed: _('fixed'), created: _('created'),
	refused: _('refused: unsafe to change'), reported: _('reported only'), error: _('error')
};
var STATUS = {
	clean: [ _('In policy'), 'success' ],
	drift: [ _('Drift'), 'warning' ],
	problem: [ _('Needs attention'), 'danger' ],
	error: [ _('Could not check'), 'danger' ],
	timeout: [ _('Too large for the web page'), 'danger' ],
	skipped: [ _('Not done'), 'notice' ]
};

// An RPC failure as a sentence for the router's owner (no stack, no code).
function plainError(err) {
	if (typeof(err) == 'string')
		return err; // the backend's own sentence
	var msg = String((err && err.message) || err || '');
	if (/ubus code 6|Access denied|PermissionError/i.test(msg))
		return _('Your login is not allowed to do this (it lacks the chperms permission).');
	if (/timeout|timed out|code 7/i.test(msg))
		return _('The router did not answer in time. The trees may be very large: run chperms on the console instead.');
	if (/code 3|not found/i.test(msg))
		return _('The chperms backend is not running: restart rpcd (/etc/init.d/rpcd restart) or reinstall luci-app-chperms.');
	return _('The request failed: %s').format(msg.replace(/^.*failed with /, ''));
}

function notifyError(err) {
	ui.hideModal();
	ui.addNotification(null, E('p', plainError(err)), 'danger');
}

function busy(title, text) {
	ui.showModal(title, [ E('p', { 'class': 'spinning' }, text) ]);
}

function ago(when) {
	if (!when)
		return '';
	var secs = Math.max(0, Math.floor(Date.now() / 1000) - when);
	var d = new Date(when * 1000).toLocaleString();
	if (secs < 60)
		return _('%s (just now)').format(d);
	if (secs < 3600)
		return _('%s (%d min ago)').format(d, Math.floor(secs / 60));
	return d;
}

function driftByKind(r) {
	var parts = [];
	for (var k in (r.by_kind || {}))
		parts.push('%d %s'.format(r.by_kind[k], KIND[k] || k));
	return parts.length ? parts.join(', ') : '—';
}

function treeLabel(t) {
	return t.kind == 'policy' ? _('policy file %s').format(t.name) : t.name;
}

// The findings as a table; withAction: also what chperms did or would do
// (the repair dialog leaves it out: there, everything listed is to be fixed).
function findingsTable(findings, withAction) {
	var rows = [
		E('tr', { 'class': 'tr table-titles' }, [
			E('th', { 'class': 'th' }, _('Path')),
			E('th', { 'class': 'th' }, _('What')),
			E('th', { 'class': 'th' }, _('Should be')),
			E('th', { 'class': 'th' }, _('Is')),
			withAction ? E('th', { 'class': 'th' }, _('Action')) : ''
		])
	];
	findings.forEach(function(f) {
		rows.push(E('tr', { 'class': 'tr chperms-finding', 'data-path': f.path, 'data-kind': f.kind }, [
			E('td', { 'class': 'td' }, E('code', {}, f.path)),
			E('td', { 'class': 'td' }, KIND[f.kind] || f.kind),
			E('td', { 'class': 'td' }, E('code', {}, f.expected || '')),
			E('td', { 'class': 'td' }, f.kind == 'missing' ? _('(missing)') : E('code', {}, f.actual || '')),
			withAction ? E('td', { 'class': 'td' }, f.message || ACTION[f.action] || f.action || '') : ''
		]));
	});
	return E('table', { 'class': 'table chperms-findings' }, rows);
}

return view.extend({
	load: function() {
		return Promise.all([
			callCheck(undefined, true),
			L.resolveDefault(callServiceList('chperms'), {})
		]).then(L.bind(function(res) {
			// Never checked from here (new install, after a reboot) or not for
			// a while: check now, read-only, so the page opens with a real answer.
			var now = res[0].now || 0;
			var trees = res[0].trees || [];
			if (trees.some(function(t) { return !t.last || now - t.last.when > STALE_SECS; }))
				return callCheck().then(function(fresh) { return [ fresh, res[1] ]; });
			return res;
		}, this));
	},

	// procd's view of the watcher: running instances, or why there are none.
	renderWatcher: function(data, services) {
		var inst = ((services || {}).chperms || {}).instances || {};
		var names = Object.keys(inst);
		var running = names.filter(function(n) { return inst[n].running; });
		var state, text, cls;

		if (!data.enabled) {
			state = 'not-enabled'; cls = 'notice';
			text = _('The watcher is not enabled: drift is found only when you press "Check now". Turn it on under Settings (Watch the trees).');
		}
		else if (running.length) {
			state = 'running'; cls = 'success';
			text = _('The watcher is running: it checks the trees every few minutes and sees changes within seconds.');
		}
		else {
			state = 'stopped'; cls = 'danger';
			text = _('The watcher is enabled but not running. The reason is in the system log (logread -e chperms). Check the settings, then press Save & Apply.');
		}

		var cmds = running.map(function(n) {
			return E('li', {}, E('code', { 'class': 'chperms-command' }, (inst[n].command || []).join(' ')));
		});

		return E('div', { 'class': 'cbi-section chperms-watcher', 'data-state': state }, [
			E('h3', {}, _('Watcher')),
			E('div', { 'class': 'alert-message ' + cls }, text),
			cmds.length ? E('ul', {}, cmds) : ''
		]);
	},

	// What to do when there is nothing to show: in the owner's words.
	renderEmpty: function(data) {
		if (!data.root_exists)
			return E('div', { 'class': 'alert-message warning chperms-empty', 'data-why': 'no-root' }, [
				E('p', {}, _('The folder %s does not exist. chperms looks for your websites (vhosts) there.').format(data.root)),
				E('p', {}, _('Create it (mkdir %s) and put each site in a folder named after it, like %s/example.org; or set another folder under Settings.').format(data.root, data.root))
			]);
		return E('div', { 'class': 'alert-message notice chperms-empty', 'data-why': 'no-tree' }, [
			E('p', {}, data.all
				? _('There is no vhost in %s yet. A vhost is a folder whose name contains a dot, like %s/example.org.').format(data.root, data.root)
				: _('No vhost and no policy file is named in the settings.')),
			E('p', {}, _('Create a vhost folder, or name vhosts or policy files under Settings.'))
		]);
	},

	renderTrees: function(data) {
		var rows = [
			E('tr', { 'class': 'tr table-titles' }, [
				E('th', { 'class': 'th' }, _('Tree')),
				E('th', { 'class': 'th' }, _('Result')),
				E('th', { 'class': 'th' }, _('Checked')),
				E('th', { 'class': 'th' }, _('Drift')),
				E('th', { 'class': 'th' }, _('Refused')),
				E('th', { 'class': 'th' }, _('Errors')),
				E('th', { 'class': 'th' }, _('When')),
				E('th', { 'class': 'th cbi-section-actions' }, '')
			])
		];
		var details = [];

		(data.trees || []).forEach(L.bind(function(t) {
			var r = t.last || {};
			var st = STATUS[r.status] || [ _('Not checked yet'), 'notice' ];
			rows.push(E('tr', { 'class': 'tr chperms-tree', 'data-tree': t.id, 'data-status': r.status || 'none' }, [
				E('td', { 'class': 'td' }, [ E('strong', {}, treeLabel(t)), E('br'), E('small', {}, t.path) ]),
				E('td', { 'class': 'td' }, E('span', { 'class': 'label ' + st[1] }, st[0])),
				E('td', { 'class': 'td' }, r.status ? String(r.checked) : '—'),
				E('td', { 'class': 'td chperms-drift' }, r.status ? (r.drift ? driftByKind(r) : _('none')) : '—'),
				E('td', { 'class': 'td' }, r.status ? String(r.refused) : '—'),
				E('td', { 'class': 'td' }, r.status ? String(r.errors) : '—'),
				E('td', { 'class': 'td' }, ago(r.when)),
				E('td', { 'class': 'td cbi-section-actions' }, E('div', {}, [
					E('button', {
						'class': 'btn cbi-button cbi-button-action', 'data-action': 'check', 'data-tree': t.id,
						'click': ui.createHandlerFn(this, 'handleCheck', t.id)
					}, _('Check')),
					E('button', {
						'class': 'btn cbi-button cbi-button-negative', 'data-action': 'repair', 'data-tree': t.id,
						'disabled': (r.drift > 0 || r.status == 'none' || !r.status) ? null : true,
						'click': ui.createHandlerFn(this, 'handleRepair', t.id, treeLabel(t))
					}, _('Repair…'))
				]))
			]));

			if (r.message || (r.findings || []).length)
				details.push(E('div', { 'class': 'cbi-section chperms-detail', 'data-tree': t.id }, [
					E('h4', {}, _('%s: what differs').format(treeLabel(t))),
					r.message ? E('p', { 'class': 'chperms-message' }, r.message) : '',
					(r.findings || []).length ? findingsTable(r.findings, true) : '',
					(r.findings_total > (r.findings || []).length)
						? E('p', {}, _('… and %d more. The full list: chperms check %s on the console.').format(
							r.findings_total - r.findings.length, t.kind == 'vhost' ? t.name : '--policy ' + t.name))
						: ''
				]));
		}, this));

		return E('div', {}, [ E('table', { 'class': 'table chperms-trees' }, rows) ].concat(details));
	},

	renderAll: function(data, services) {
		var trees = data.trees || [];
		var drifted = trees.some(function(t) { return t.last && t.last.drift > 0; });
		return E('div', {}, [
			this.renderWatcher(data, services),
			E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, _('Trees')),
				trees.length ? E('p', {}, [
					E('button', {
						'class': 'btn cbi-button cbi-button-action', 'data-action': 'check-all',
						'click': ui.createHandlerFn(this, 'handleCheck', undefined)
					}, _('Check now')), ' ',
					E('button', {
						'class': 'btn cbi-button cbi-button-negative', 'data-action': 'repair-all',
						'disabled': drifted ? null : true,
						'click': ui.createHandlerFn(this, 'handleRepair', undefined, _('every tree'))
					}, _('Repair all…'))
				]) : '',
				trees.length ? this.renderTrees(data) : this.renderEmpty(data)
			])
		]);
	},

	refresh: function(data) {
		return L.resolveDefault(callServiceList('chperms'), {}).then(L.bind(function(services) {
			dom.content(this.content, this.renderAll(data, services));
		}, this));
	},

	handleCheck: function(tree) {
		busy(_('Checking…'), _('chperms is comparing the trees with their policy. Nothing is changed.'));
		return callCheck(tree).then(L.bind(function(data) {
			ui.hideModal();
			if (data.error)
				return ui.addNotification(null, E('p', data.error), 'danger');
			return this.refresh(data);
		}, this)).catch(notifyError);
	},

	// Repair: first a dry run, shown in a dialog; only "Repair now" changes.
	handleRepair: function(tree, label) {
		busy(_('Preparing…'), _('Working out what a repair would change. Nothing is changed yet.'));
		return callApply(tree, true).then(L.bind(function(plan) {
			if (plan.error)
				return notifyError(plan.error);
			var results = plan.results || [];
			var changes = [], untouched = [], total = 0, problems = [];
			results.forEach(function(r) {
				(r.findings || []).forEach(function(f) {
					// would-fix: a change; refused, error, reported: left as it is.
					(f.action == 'would-fix' ? changes : untouched).push(f);
				});
				total += r.findings_total || 0;
				if (r.status == 'error' || r.status == 'timeout' || r.status == 'skipped')
					problems.push(E('p', { 'class': 'alert-message warning' }, '%s: %s'.format(treeLabel(r), r.message)));
			});
			var listed = changes.length + untouched.length;

			if (!total && !problems.length)
				return ui.showModal(_('Nothing to repair'), [
					E('p', {}, _('%s is already in policy.').format(label)),
					E('div', { 'class': 'right' }, E('button', { 'class': 'btn', 'click': ui.hideModal }, _('Close')))
				]);

			ui.showModal(_('Repair %s?').format(label), [
				E('p', {}, changes.length
					? _('These changes will be made:')
					: _('Nothing here can be changed by a repair.')),
				changes.length ? findingsTable(changes) : '',
				untouched.length ? E('p', {}, _('These stay as they are (unsafe to change, or only reported):')) : '',
				untouched.length ? findingsTable(untouched, true) : '',
				(total > listed) ? E('p', {}, _('… and %d more.').format(total - listed)) : ''
			].concat(problems).concat([
				E('p', {}, _('Only what is listed changes. Symlinks, devices and files with more than one hard link are never changed.')),
				E('div', { 'class': 'right' }, [
					E('button', { 'class': 'btn', 'data-action': 'cancel', 'click': ui.hideModal }, _('Cancel')), ' ',
					E('button', {
						'class': 'btn cbi-button cbi-button-negative important', 'data-action': 'confirm-repair',
						'disabled': (changes.length || total > listed) ? null : true,
						'click': ui.createHandlerFn(this, 'doRepair', tree, label)
					}, _('Repair now'))
				])
			]));
		}, this)).catch(notifyError);
	},

	doRepair: function(tree, label) {
		busy(_('Repairing…'), _('chperms is setting owners, groups and modes.'));
		return callApply(tree, false).then(L.bind(function(done) {
			if (done.error)
				return notifyError(done.error);
			var changed = 0, refused = 0, errors = [];
			(done.results || []).forEach(function(r) {
				changed += r.changed || 0;
				refused += r.refused || 0;
				if (r.status == 'error' || r.status == 'timeout' || r.status == 'skipped' || r.errors)
					errors.push('%s: %s'.format(treeLabel(r), r.message || _('%d errors').format(r.errors)));
			});
			ui.hideModal();
			ui.addNotification(null, [
				E('p', { 'class': 'chperms-repaired' }, _('Repaired %s: %d entries changed.').format(label, changed)),
				refused ? E('p', {}, _('%d entries were refused as unsafe to change: see the list below.').format(refused)) : ''
			].concat(errors.map(function(e) { return E('p', {}, e); })), errors.length ? 'warning' : 'info');
			// Check again: the page shows what is left, not what was.
			return this.handleCheck(tree);
		}, this)).catch(notifyError);
	},

	render: function(res) {
		this.content = E('div', {}, this.renderAll(res[0] || {}, res[1]));
		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, _('chperms: file ownership and modes')),
			E('div', { 'class': 'cbi-map-descr' },
				_('chperms keeps the owner, group and mode of every file in your websites (vhosts) as their policy says, so that the web server can read what it must and nobody else can. "Drift" is anything that differs.')),
			this.content
		]);
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
