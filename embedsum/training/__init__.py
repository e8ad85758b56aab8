"""Training: the parameter layout, the objective, regularisers, monotone constraints, the solver.

Private: :class:`embedsum.ParameterLayout` and the regularisers are the public names.

May import: foundation.
"""
