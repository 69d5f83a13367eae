'use strict';
'require view';
'require form';

// Services → chperms → Settings: the options of /etc/config/chperms (see
// the comments in that file). Save & Apply commits them; procd then reloads
// the service (the init script's reload trigger), which restarts the
// watcher with the new command line.

// The rules chperms itself applies, checked here first so that a mistake is
// shown next to the field and not as a watcher that does not start.

function absolutePath(value) {
	if (value == null || value === '')
		return true;
	if (value.charAt(0) != '/')
		return _('Give a full path, starting with /');
	if (/(^|\/)\.\.(\/|$)/.test(value))
		return _('A path with .. in it is not accepted');
	if (/[\n\r\t]/.test(value))
		return _('The path contains a tab or line break');
	return true;
}

function vhostName(value) {
	if (value == null || value === '')
		return true;
	if (value == '.' || value == '..' || value.indexOf('/') >= 0)
		return _('Give the name of one folder in the vhost folder, like example.org (no /)');
	return true;
}

// --alert-cmd is split into words as sh would split it, but no shell runs:
// an unquoted | & ; < > ( ) $ or backtick is refused by chperms (the README,
// "Running the watcher as a service"); so are unbalanced quotes.
function alertCommand(value) {
	if (value == null || value === '')
		return true;
	var quote = null;
	for (var i = 0; i < value.length; i++) {
		var c = value.charAt(i);
		if (quote == "'") {
			if (c == "'")
				quote = null;
		}
		else if (quote == '"') {
			if (c == '\\')
				i++;
			else if (c == '"')
				quote = null;
		}
		else if (c == '\\')
			i++;
		else if (c == "'" || c == '"')
			quote = c;
		else if ('|&;<>()$`'.indexOf(c) >= 0)
			return _('%s is shell syntax, and no shell runs this command. Put it in quotes, or write sh -c \'…\' if you need a shell.').format(c);
	}
	if (quote)
		return _('A quote (%s) is not closed').format(quote);
	return true;
}

return view.extend({
	render: function() {
		var m, s, o;

		m = new form.Map('chperms', _('chperms: settings'),
			_('How chperms watches your websites. Save & Apply restarts the watcher with the new settings.'));

		s = m.section(form.NamedSection, 'main', 'chperms');
		s.addremove = false;

		o = s.option(form.Flag, 'enabled', _('Watch the trees'),
			_('Run chperms in the background (a service): every change in a tree is checked within seconds, and the whole tree again every interval.'));
		o.rmempty = false;

		o = s.option(form.Value, 'root', _('Folder holding the vhosts'),
			_('Each website (vhost) is a folder in it, named like the site: /srv/example.org.'));
		o.placeholder = '/srv';
		o.rmempty = false;
		o.validate = function(section_id, value) {
			return value === '' ? _('A folder is needed (the default is /srv)') : absolutePath(value);
		};

		o = s.option(form.Flag, 'all', _('Every vhost in that folder'),
			_('Every folder whose name contains a dot, like example.org. Turn off to name vhosts one by one.'));
		o.rmempty = false;

		o = s.option(form.DynamicList, 'vhost', _('Vhosts'),
			_('The folder names to watch, like example.org.'));
		o.depends('all', '0');
		o.validate = function(section_id, value) { return vhostName(value); };

		o = s.option(form.DynamicList, 'policy', _('Policy files'),
			_('JSON policy files for trees other than vhosts (see chperms policy show); each gets its own watcher.'));
		o.placeholder = '/etc/chperms/app.json';
		o.validate = function(section_id, value) { return absolutePath(value); };

		o = s.option(form.Value, 'interval', _('Check everything every (seconds)'),
			_('Changes are seen as they happen; this full check also catches what was missed. 300 is five minutes.'));
		o.datatype = 'range(1,604800)';
		o.placeholder = '300';
		o.rmempty = false;

		o = s.option(form.Flag, 'fix', _('Repair drift automatically'),
			_('On: owners, groups and modes are set back as soon as they differ. Off: drift is only reported.'));
		o.rmempty = false;

		o = s.option(form.Flag, 'syslog', _('Report to the system log'),
			_('Every finding and repair goes to the system log (logread -e chperms).'));
		o.rmempty = false;
		o.default = '1';

		o = s.option(form.Value, 'log', _('Also write findings to this file'),
			_('Optional. Prefer a file in /tmp (memory): writing often to flash wears it out. With the system log off, give a file here so that findings are kept.'));
		o.placeholder = '/tmp/chperms.log';
		o.validate = function(section_id, value) { return absolutePath(value); };

		o = s.option(form.Value, 'alert_cmd', _('Alert command'),
			_('Optional. Run once per new drift, with the finding on its input as JSON. Example: logger -t chperms-alert'));
		o.placeholder = 'logger -t chperms-alert';
		o.validate = function(section_id, value) { return alertCommand(value); };

		o = s.option(form.Value, 'metrics', _('Prometheus metrics file'),
			_('Optional. Written after every check in node_exporter\'s textfile format, for prometheus-node-exporter-lua-textfile. Must end in .prom.'));
		o.placeholder = '/var/prometheus/chperms.prom';
		o.validate = function(section_id, value) {
			if (value !== '' && !/\.prom$/.test(value))
				return _('The file name must end in .prom');
			return absolutePath(value);
		};

		return m.render();
	}
});
