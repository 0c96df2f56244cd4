"""The simulator: scenarios (`scenario`, `params`), the engine (`engine`) and plain reports (`report`).

Deliberately empty of imports: `import tutor.sim` must stay cheap (no pydantic, no SimPy) so the
UI and the command line pay only for the submodules they use.
"""
