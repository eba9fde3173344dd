"""A model against a reference: metrics and paired intervals (:mod:`.evaluation`), the Compare
report's tables and slices (:mod:`.report`) and its exports (:mod:`.export`)."""
