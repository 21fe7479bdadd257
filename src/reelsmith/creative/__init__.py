"""Creative helpers outside a generation: storyboards drafted on the spot and character references."""
