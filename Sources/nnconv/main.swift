print("nnconv: under construction")
