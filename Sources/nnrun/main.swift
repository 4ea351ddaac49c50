print("nnrun: under construction")
