#!/usr/bin/env bash
# The README's demo. Argument: the folder holding the built nnrun (and nnconv).
# Writes everything under out/demo/ (git-ignored).
set -euo pipefail
BIN="$1"
cd "$(dirname "$0")/.."
OUT=out/demo
rm -rf "$OUT"   # each run starts from nothing, so it shows the same steps every time
mkdir -p "$OUT"
NNRUN="$BIN/nnrun"
if [ -t 1 ]; then B=$'\033[1m'; N=$'\033[0m'; else B=""; N=""; fi
step() { printf '\n%s$ %s%s\n' "$B" "$*" "$N"; "$@"; }

echo "== 1. Create the tutorial's 2-4-1 sigmoid network (Glorot-uniform weights, seed 1)"
step "$NNRUN" init --inputs 2 --layers 4:sigmoid,1:sigmoid --seed 1 -o "$OUT/xor.nnf"
step "$NNRUN" inspect "$OUT/xor.nnf"

echo
echo "== 2. Train it on fixtures/data/xor.csv: Adam, learning rate 0.1, MSE, 1000 epochs of one batch of 4"
step "$NNRUN" train "$OUT/xor.nnf" fixtures/data/xor.csv --target y --optimizer adam --learning-rate 0.1 --loss mse \
    --epochs 1000 --batch-size 4 --no-shuffle -o "$OUT/xor-trained.nnf" \
    --history "$OUT/history.csv" --plot "$OUT/loss.svg" 2>&1 | sed -n '1,3p;998,$p'

echo
echo "== 3. Predict the four rows (expect values near 0, 1, 1, 0)"
step "$NNRUN" predict "$OUT/xor-trained.nnf" fixtures/data/xor.csv --keep x1 --keep x2 --classes -o "$OUT/predictions.csv"
cat "$OUT/predictions.csv"
step "$NNRUN" evaluate "$OUT/xor-trained.nnf" fixtures/data/xor.csv --target y

echo
echo "== 4. A Keras 3 model (fixtures/keras/xor/k3.keras), read directly"
step "$NNRUN" inspect fixtures/keras/xor/k3.keras
cut -d, -f1,2 fixtures/data/xor.csv > "$OUT/xor-inputs.csv"   # the model has no input names: give exactly its 2 inputs
step "$NNRUN" predict fixtures/keras/xor/k3.keras "$OUT/xor-inputs.csv"
step "$BIN/nnconv" convert fixtures/keras/xor/k3.keras "$OUT/k3.nnf"
step "$NNRUN" predict "$OUT/k3.nnf" "$OUT/xor-inputs.csv"

echo
echo "== 5. Fine-tune the Keras model: Keras stopped after 50 Adam steps; continue its optimizer state for 500 epochs"
step "$NNRUN" train "$OUT/k3.nnf" fixtures/data/xor.csv --target y --epochs 500 --batch-size 4 --no-shuffle --quiet -o "$OUT/k3-finetuned.nnf"
step "$NNRUN" predict "$OUT/k3-finetuned.nnf" "$OUT/xor-inputs.csv"
step "$BIN/nnconv" convert "$OUT/k3-finetuned.nnf" "$OUT/k3-finetuned.keras"
echo "   ($OUT/k3-finetuned.keras opens in keras.models.load_model, optimizer state included)"

echo
echo "== 6. A tabular classifier on scikit-learn's breast-cancer data (fixtures/data, text labels malignant/benign)"
step "$NNRUN" init --inputs 30 --layers normalization,16:relu,1:sigmoid --seed 3 -o "$OUT/cancer.nnf"
step "$NNRUN" train "$OUT/cancer.nnf" fixtures/data/breast_cancer_train.csv --target diagnosis -o "$OUT/cancer.keras" --loss binary_crossentropy \
    --optimizer adam --learning-rate 0.01 --lr-schedule exponential:decay_steps=100,decay_rate=0.5 \
    --metrics accuracy,precision,recall,auc --epochs 20 --validation-split 0.2 --quiet \
    --history "$OUT/cancer-history.csv" --plot "$OUT/cancer.svg"
step "$NNRUN" evaluate "$OUT/cancer.keras" fixtures/data/breast_cancer_test.csv --target diagnosis --report
step "$NNRUN" predict "$OUT/cancer.keras" fixtures/data/breast_cancer_test.csv --keep diagnosis --classes -o "$OUT/cancer-predictions.csv"
head -4 "$OUT/cancer-predictions.csv"
echo "   ($OUT/cancer.keras is a Keras 3 archive: keras.models.load_model opens it, schedule and metrics included)"

echo
echo "== Results in $OUT/: xor.nnf, xor-trained.nnf, predictions.csv, history.csv, loss.svg, cancer.keras, cancer-predictions.csv"
# Check that XOR was learned: outputs within 0.2 of 0, 1, 1, 0.
awk -F, 'NR > 1 { want = ($1 != $2); d = $3 - want; if (d < 0) d = -d; if (d > 0.2) bad = 1 } END { exit bad }' "$OUT/predictions.csv" \
    && echo "demo: XOR learned" || { echo "demo: XOR was not learned" >&2; exit 1; }
# And that the classifier predicts the held-out rows' labels: at least 90% right.
awk -F, 'NR > 1 { n++; if ($1 == $NF) ok++ } END { exit !(n > 0 && ok / n >= 0.9) }' "$OUT/cancer-predictions.csv" \
    && echo "demo: breast-cancer classifier at least 90% right on the test rows" || { echo "demo: the breast-cancer classifier is below 90%" >&2; exit 1; }
