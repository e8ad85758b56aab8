"""Training: the parameter layout, losses, the objective and its engines, regularisers, constraints, solver.

Private: :class:`embedsum.ParameterLayout` and the regularisers are the public names.

May import: foundation.
"""
