"""The weekly mechanisms, one module each, as pure functions over arrays.

Order of the weekly step (see :meth:`pcnsim.model.PCNModel.step`): presence -> contact and ties ->
belonging -> support -> workload and burnout -> intention and leaving -> recruitment -> money and output.
"""
