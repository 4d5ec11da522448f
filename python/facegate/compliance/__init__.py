"""The rules as records: deployments and their notices (:mod:`~facegate.compliance.policy`),
the registry of operators, deployments and assessments, the consent ledger, integrity
incidents, filing with the regulator and its working days, the assessment's measured facts and
the filing dossier. The documents themselves are rendered by :mod:`facegate.reports`."""
