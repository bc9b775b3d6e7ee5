"""The aihkg ontology (OWL 2, Turtle), its SHACL shapes, and the code that validates and reasons."""
