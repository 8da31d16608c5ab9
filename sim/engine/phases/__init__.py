"""The daily phases of the model, one module each, run in the order written in ``Model.step``."""
