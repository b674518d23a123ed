SELECT "end" - start AS dur, "start" FROM flows WHERE cloud = 'gcp' ORDER BY 2
