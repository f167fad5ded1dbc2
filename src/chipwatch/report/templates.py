"""The report's HTML, as Jinja2 templates with autoescaping on: every value from the
tables (repository names, matched lines, paths, sentences) is escaped; only markup the
report builds itself from numbers (``svg.funnel``) is marked safe. No script, no
remote resource: a Content-Security-Policy forbids both, so the files open offline
and a hostile line in a scanned README cannot run in a reader's browser."""
from __future__ import annotations

from urllib.parse import urlsplit

from jinja2 import DictLoader, Environment, StrictUndefined

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f; margin: 0 auto;
       max-width: 1180px; padding: 1.2em 1.6em 4em; }
h1 { font-size: 1.7em; margin-bottom: .2em; } h2 { margin-top: 2.2em; border-bottom: 1px solid #ddd; }
h3 { margin-top: 1.8em; } .muted, figcaption, .note { color: #555; } .note { background: #f6f6f2;
  border-left: 4px solid #c9b458; padding: .5em .8em; }
nav.toc a { margin-right: 1.1em; } figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92em; } th, td { border-bottom: 1px solid #e3e3e3;
  padding: .25em .6em; text-align: left; vertical-align: top; } th { background: #f4f4f4; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
.line { white-space: pre-wrap; word-break: break-all; background: #fafafa; }
.st-all_controlled, .st-controlled { color: #a93226; font-weight: 600; } .st-none_controlled, .st-not_controlled { color: #1e7b46; }
.st-mixed { color: #b9770e; font-weight: 600; } .st-unknown { color: #777; }
section.repo { border-top: 2px solid #e8e8e8; margin-top: 2em; } ol.steps > li { margin-bottom: .9em; }
.funnel .fk { fill: #3b6ea5; } .funnel .fo { fill: #e3b4ae; } .funnel text { font: 12px sans-serif; fill: #333; }
details > summary { cursor: pointer; color: #2b5d8a; }
</style>
</head>
<body>
{% block body %}{% endblock %}
<p class="muted">Generated {{ generated }} by chipwatch {{ version }} from {{ warehouse }} (manifest version {{ manifest_version }}).</p>
</body>
</html>
"""

MACROS = """
{% macro status(s) %}<span class="st-{{ s }}">{{ s | replace('_', ' ') }}</span>{% endmacro %}
{% macro commit(c) %}<span class="mono" title="{{ c }}">{{ (c or '')[:10] }}</span>{% endmacro %}
{% macro where(e) -%}
{%- if e.permalink | web_url %}<a href="{{ e.permalink | web_url }}" rel="noopener noreferrer">{{ e.path }}{% if e.line %}:{{ e.line }}{% endif %}</a>
{%- else %}<span class="mono">{{ e.path }}{% if e.line %}:{{ e.line }}{% endif %}</span>{% endif -%}
{%- endmacro %}
{% macro chart(c) %}
<figure id="fig-{{ c.key }}">
{% if c.png %}<img alt="{{ c.alt }}" src="data:image/png;base64,{{ c.png_b64 }}">
<figcaption>{{ c.caption }} <a href="{{ c.png_href }}">PNG</a> · <a href="{{ c.csv_href }}">data (CSV)</a></figcaption>
{% else %}<p class="note">{{ c.empty_note }}</p>{% endif %}
{% for n in c.notes %}<p class="note">{{ n }}</p>{% endfor %}
</figure>
{% endmacro %}
{% macro table(t) %}
{% if t.rows %}
<table class="data" id="tbl-{{ t.key }}" data-table="{{ t.key }}">
<thead><tr>{% for h in t.headers %}<th{% if h in t.numeric %} class="num"{% endif %}>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for r in t.rows %}<tr>{% for h in t.headers %}{% set v = r[h] %}<td{% if h in t.numeric %} class="num"{% endif %} data-col="{{ h }}">
{%- if v is mapping and v.href is defined and (not v.external or v.href | web_url) %}<a href="{{ v.href if not v.external else v.href | web_url }}"{% if v.external %} rel="noopener noreferrer"{% endif %}>{{ v.text }}</a>
{%- elif v is mapping and v.href is defined %}{{ v.text }}
{%- elif v is mapping and v.status is defined %}{{ status(v.status) }}
{%- else %}{{ v }}{% endif %}</td>{% endfor %}</tr>{% endfor %}</tbody>
</table>
{% else %}<p class="note">{{ t.empty_note }}</p>{% endif %}
{% endmacro %}
"""

INDEX = """{% extends "base.html" %}{% from "macros.html" import chart, table %}
{% block title %}chipwatch report{% if orgs %}: {{ orgs | join(', ') }}{% endif %}{% endblock %}
{% block body %}
<h1>chipwatch: hardware signatures in public AI code</h1>
<p class="muted">{{ scope }}</p>
<nav class="toc">{% for id, title in sections %}<a href="#{{ id }}">{{ title }}</a>{% endfor %}</nav>
{% for n in notes %}<p class="note">{{ n }}</p>{% endfor %}

<h2 id="summary">What this report covers</h2>
{{ table(overview) }}
<p>Shares over time come from the <code>trends</code> table: in every month each repository counts with its
latest scanned snapshot at or before the month's end, so a repository nobody changed keeps its last state.
Per-repository statements (named chips, removed signals, the organization pages) describe each repository's
latest scanned snapshot.</p>

<h2 id="domestic-stacks">Domestic accelerator stacks over time</h2>
{{ chart(charts.stacks) }}
<h3>When each stack appeared, and how far it spread</h3>
{{ table(tables.stacks) }}

<h2 id="techniques">Efficiency techniques over time</h2>
{{ chart(charts.techniques) }}
{{ table(tables.techniques) }}

<h2 id="candidates">Candidate chips and export-control status</h2>
{{ chart(charts.candidates) }}
{{ table(tables.candidates) }}
{{ chart(charts.export) }}
<h3>Export status of the candidate sets in the last month</h3>
{{ table(tables.export) }}

<h2 id="explicit-chips">Chips named explicitly</h2>
{{ chart(charts.mentions) }}
<p>Export status per rule version is the catalog's status of the named part (<em>mixed</em> when the mention
does not say which variant and the variants differ). A mention never rules a chip in or out; "candidate" says
whether the stack evidence still allows it.</p>
{{ table(tables.mentions) }}

<h2 id="removed-signals">Removed signals</h2>
<p>Signals a repository once had and its latest snapshot no longer has: a network configuration deleted, a chip
name edited out. "Last seen" is the last commit whose tree still had the signal (the line links to it where the
forge allows), "removed by" the commit that removed it.</p>
{{ table(tables.removed) }}

<h2 id="organizations">Organizations</h2>
{{ table(tables.orgs) }}
{% endblock %}
"""

ORG = """{% extends "base.html" %}{% from "macros.html" import status, commit, where, table %}
{% block title %}chipwatch: {{ page.organization }}{% endblock %}
{% block body %}
<p><a href="index.html">← report</a> · <a href="index.html#organizations">all organizations</a></p>
<h1 id="top">{{ page.organization }}</h1>
<p class="muted">{{ page.repos | length }} repositories with a scanned snapshot{% if page.failed %},
{{ page.failed | length }} whose latest snapshot failed{% endif %}; platforms: {{ page.platforms | join(', ') }}.</p>
{{ table(repo_table) }}
{% if page.failed %}
<h2 id="failed">Repositories whose latest snapshot failed</h2>
<table><thead><tr><th>repository</th><th>as of</th><th>error</th></tr></thead><tbody>
{% for f in page.failed %}<tr><td>{{ f.platform }}:{{ f.owner }}/{{ f.name }}</td><td>{{ f.as_of }}</td>
<td>{{ f.error_kind or '' }}: {{ f.error_message or '' }}</td></tr>{% endfor %}
</tbody></table>
{% endif %}
{% for r in page.repos %}
<section class="repo" id="{{ r.anchor }}">
<h2>{{ r.owner }}/{{ r.name }} <span class="muted">({{ r.platform }})</span></h2>
<p class="muted">snapshot as of {{ r.as_of }} at commit {{ commit(r.commit) }}{% if r.url %} · source {{ r.url }}{% endif %}
{% if r.confidence is not none %} · confidence {{ '%.2f' % r.confidence }}{% endif %}</p>
<table>
{% for k, v in r.summary %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}
{% for rule, s in r.export_status %}<tr><th>export status, {{ rule }}</th><td>{{ status(s) }}</td></tr>{% endfor %}
{% for chip, what, e in r.explicit %}<tr><th>named: {{ chip }}</th><td>{{ what }}{% if e %} — <a href="#{{ e.anchor }}">evidence</a>{% endif %}</td></tr>{% endfor %}
</table>
<h3>Elimination chain</h3>
{% if r.steps_error %}<p class="note">{{ r.steps_error }}</p>{% endif %}
{% if r.funnel %}{{ r.funnel | safe }}{% else %}<p class="muted">No vendor is claimed, so no chip was narrowed down.</p>{% endif %}
<ol class="steps">
{% for s in r.steps %}<li><strong>{{ s.step }}</strong> — {{ s.sentence }}
{% if s.evidence %}<br>evidence: {% for e in s.evidence %}<a href="#{{ e.anchor }}">{{ e.signal }} at {{ e.path }}{% if e.line %}:{{ e.line }}{% endif %}</a>{% if not loop.last %}; {% endif %}{% endfor %}{% endif %}
{% if s.eliminated %}<br><span class="muted">ruled out ({{ s.eliminated | length }}):</span> {{ s.eliminated | join(', ') }}{% endif %}
{% for c in s.contradictions %}<br><span class="st-mixed">contradiction:</span> {{ c }}{% endfor %}
{% if s.step != 'explicit' %}<br><span class="muted">left ({{ s.kept }}):</span> {{ s.left }}{% endif %}
</li>{% endfor %}
</ol>
{% if r.evidence %}
<h3>Evidence</h3>
<table><thead><tr><th>#</th><th>signal</th><th>where</th><th>kind</th><th>line</th><th>commit</th></tr></thead><tbody>
{% for e in r.evidence %}<tr id="{{ e.anchor }}"><td>{{ loop.index }}</td><td>{{ e.signal }}</td><td>{{ where(e) }}</td><td>{{ e.kind }}</td>
<td class="line">{{ e.text }}{% if not e.in_table %} <em class="muted">(cited by the step; not in the evidence table)</em>{% endif %}</td><td>{{ commit(e.commit) }}</td></tr>{% endfor %}
</tbody></table>
{% endif %}
{% if r.removed %}
<h3>Removed signals</h3>
<table><thead><tr><th>signal</th><th>last seen</th><th>removed by</th><th>last line</th></tr></thead><tbody>
{% for x in r.removed %}<tr><td>{{ x.signal_id }}</td><td>{{ commit(x.last_seen_commit) }} {{ x.last_seen_at_text }}</td>
<td>{{ commit(x.removed_by_commit) }} {{ x.removed_at_text }}</td><td>{% if x.path %}{{ where(x) }} <span class="line">{{ x.text }}</span>{% endif %}</td></tr>{% endfor %}
</tbody></table>
{% endif %}
<p><a href="#top">↑ top</a></p>
</section>
{% endfor %}
{% endblock %}
"""


def web_url(value: object) -> str | None:
    """``value`` when it is an http(s) URL, else None: a link from the tables must not
    be able to carry a ``javascript:`` or ``data:`` URL into the report."""
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def environment() -> Environment:
    env = Environment(
        loader=DictLoader({"base.html": BASE, "macros.html": MACROS, "index.html": INDEX, "org.html": ORG}),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["web_url"] = web_url
    return env
