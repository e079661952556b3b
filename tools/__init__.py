"""Pure cores, one module per stage. Nothing under tools/ imports fastmcp: collaborators
(connections, AWS client factories, progress sinks) come in as arguments."""
