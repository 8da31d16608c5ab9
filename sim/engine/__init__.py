"""The simulation itself: state, agents, daily phases, tally. The only code that changes numbers."""
