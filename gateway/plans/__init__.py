"""Tracking plans: what each source may send. Applied by the intake before the policy, so
an undeclared event or property is dropped before anything is stored."""
