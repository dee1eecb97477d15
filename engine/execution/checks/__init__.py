"""Load-time checks of a procedure's BPMN/DMN files, one module per concern (issue 8).

`engine.execution.bpmn_compiler.compile_process` runs them all and reports every problem at once:
  xml          well-formedness, BPMN root, XSD schema (diagram-layout errors are warnings)
  model        namespaces, ids, the processes a procedure runs
  lanes        lanes read from bpmn:laneSet only, innermost lane wins
  human_tasks  user / manual / plain tasks: lane, form and working-time properties
  support      what runs, runs with limits, or is refused at check (the table of docs §14)
  expressions  timer expressions and scripts (hook: the sandbox compiles them)
  normalize    valid BPMN made explicit for SpiffWorkflow (implicit splits, starts, ends, links,
               qualified references, data as documentation)
  sizes        ids, lane and form names within the columns that store them (255)
  spiff        SpiffWorkflow's own parser: its exceptions translated to a modeler's sentence
"""
