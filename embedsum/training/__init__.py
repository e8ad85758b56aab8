"""Training: the parameter layout, losses, the objective and its engines, regularisers, constraints, solver,
and the Laplace approximation at the optimum (standard errors, feature tests).

Private: :class:`embedsum.ParameterLayout` and the regularisers are the public names.

May import: foundation.
"""
