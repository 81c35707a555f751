"""The validation report's page: a ``string.Template``. Text values are escaped by ``html.render``;
the names it marks as fragments (tables, lists, figures) are HTML it built from escaped parts."""

from __future__ import annotations

from string import Template

PAGE = Template("""$mark
<!doctype html><html><head><meta charset="utf-8"><title>PneumoScan site validation</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}img{margin:6px}
.summary{background:#f3f6fa;padding:1em;border-left:4px solid #1565c0}</style></head><body>
<h1>PneumoScan: validation on your films</h1>
<p class="summary">$summary</p>
<p>Model $model_version (SHA-256 $model_sha256...), $created.
Not a diagnosis: these figures describe the second reader on these films only.</p>
<h2>Films</h2>
<p>$films assessed, labelled films of $patients patients: $pneumonia pneumonia
($patients_pneumonia patients), $normal normal ($patients_normal patients), out of
$files files. Not used (listed below): $not_used.</p>
<h2>Ranking</h2><p>AUC $auc (95% CI $auc_low-$auc_high, $auc_method).</p>
<h2>Operating points</h2>$points_table
<p>How far these films are from each claim: $claims.</p>
<p>Intervals are exact (Clopper-Pearson) binomial intervals on these films.</p>
$scope
<h2>Proposed site thresholds</h2>
<ul><li><b>Target sensitivity $target</b>: threshold $site_threshold
(95% bootstrap interval $site_low-$site_high); at it, the lower 95% confidence bound on
sensitivity is $site_bound%. $site_rule.</li>
<li><b>Guaranteed</b>: $guarantee</li>
<li><b>Balanced</b> (Youden's J): $balanced.</li></ul>
$adapted
<h2>Figures</h2>$figures
<h2>Films not used</h2>$lists
</body></html>""")
