SELECT regexp_replace('10.0.1.5', '\.[0-9]+$', '.0') AS a
