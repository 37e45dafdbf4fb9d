using System.Numerics.Tensors;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>Building LANTERN's relaxed p~ for one node: the pool, the latent neighbourhoods and the mass moved within the TV budget.</summary>
internal sealed partial class LanternVerifier
{
    private double MovedTo(int position)
    {
        double sum = 0;
        foreach (var move in _moves.AsSpan(0, _moveCount))
        {
            if (move.Position == position)
            {
                sum += move.Mass;
            }
        }

        return sum;
    }

    // Fills _moves (positive: into a receiver, negative: out of a donor) and returns the mass moved.
    private double Build(ReadOnlySpan<double> target, double sp, ReadOnlySpan<double> draft, double sq, ReadOnlySpan<int> tokenIds, int draftToken)
    {
        _moveCount = 0;
        if (Delta <= 0)
        {
            return 0;
        }

        // The pool: top tokens of p, then of q (or the deterministic draft), without repeats.
        int count = 0;
        int top = SelectTop(target, _topP);
        for (int i = 0; i < top; i++)
        {
            _pool[count++] = _topP[i];
        }

        if (draft.IsEmpty)
        {
            count = AddToPool(draftToken, count);
        }
        else
        {
            top = SelectTop(draft, _topQ);
            for (int i = 0; i < top; i++)
            {
                count = AddToPool(_topQ[i], count);
            }
        }

        for (int i = 0; i < count; i++)
        {
            int position = _pool[i];
            _pp[i] = target[position] * sp;
            _pq[i] = draft.IsEmpty ? (position == draftToken ? 1.0 : 0.0) : draft[position] * sq;
        }

        // Receivers (q > p), most proposed first; stable by pool order.
        int receivers = 0;
        for (int i = 0; i < count; i++)
        {
            if (_pq[i] > _pp[i])
            {
                _order[receivers++] = i;
            }
        }

        if (receivers == 0)
        {
            return 0;
        }

        SortDescending(_order.AsSpan(0, receivers), _pq);
        for (int i = 0; i < count; i++)
        {
            int token = tokenIds.IsEmpty ? _pool[i] : tokenIds[_pool[i]];
            _rows[i] = _embeddings.GetRow(token);
            _norms[i] = TensorPrimitives.Norm(_rows[i].Span);
        }

        Span<int> receiverOrder = stackalloc int[receivers];
        _order.AsSpan(0, receivers).CopyTo(receiverOrder);
        Span<double> surplus = stackalloc double[count];
        for (int i = 0; i < count; i++)
        {
            surplus[i] = Math.Max(0, _pp[i] - _pq[i]);
        }

        double budget = Delta;
        Span<int> neighbours = stackalloc int[count];
        foreach (int r in receiverOrder)
        {
            double deficit = _pq[r] - _pp[r];

            // A_k(r): the k pool tokens with p > 0 nearest to r (cosine; ties by pool order).
            int candidates = 0;
            var row = _rows[r].Span;
            for (int j = 0; j < count; j++)
            {
                if (j != r && _pp[j] > 0)
                {
                    double norms = _norms[r] * _norms[j];
                    _similarity[j] = norms > 0 ? TensorPrimitives.Dot(row, _rows[j].Span) / norms : -1.0;
                    neighbours[candidates++] = j;
                }
            }

            var nearest = neighbours[..candidates];
            SortDescending(nearest, _similarity);
            foreach (int j in nearest[..Math.Min(NeighbourCount, candidates)])
            {
                double m = Math.Min(Math.Min(surplus[j], deficit), budget);
                if (m <= 0)
                {
                    continue;
                }

                surplus[j] -= m;
                deficit -= m;
                budget -= m;
                _moves[_moveCount++] = new Move(_pool[j], -m);
                _moves[_moveCount++] = new Move(_pool[r], m);
                if (deficit <= 0 || budget <= 0)
                {
                    break;
                }
            }

            if (budget <= 0)
            {
                break;
            }
        }

        return Delta - budget;
    }

    private int AddToPool(int position, int count)
    {
        if (_pool.AsSpan(0, count).IndexOf(position) < 0)
        {
            _pool[count++] = position;
        }

        return count;
    }

    // The positions of the largest positive weights, most probable first (ties: lowest position); returns how many.
    private static int SelectTop(ReadOnlySpan<double> weights, Span<int> destination)
    {
        int size = 0, capacity = destination.Length;
        Span<double> values = stackalloc double[capacity];
        for (int start = 0; start < weights.Length; start += Distribution.Block)
        {
            // A vectorised maximum skips every block that cannot enter the list (most of them once it is full).
            var block = weights.Slice(start, Math.Min(Distribution.Block, weights.Length - start));
            if (size == capacity && TensorPrimitives.Max(block) <= values[size - 1])
            {
                continue;
            }

            for (int b = 0; b < block.Length; b++)
            {
                size = Insert(block[b], start + b, values, destination, size);
            }
        }

        return size;
    }

    // Inserts (w, i) into the descending list when it belongs there; returns the new size.
    private static int Insert(double w, int i, Span<double> values, Span<int> destination, int size)
    {
        int capacity = destination.Length;
        if (w <= 0 || (size == capacity && w <= values[size - 1]))
        {
            return size;
        }

        int at = size == capacity ? size - 1 : size++;
        while (at > 0 && values[at - 1] < w)
        {
            values[at] = values[at - 1];
            destination[at] = destination[at - 1];
            at--;
        }

        values[at] = w;
        destination[at] = i;
        return size;
    }

    // Insertion sort of indices by key, descending; stable (equal keys keep their order).
    private static void SortDescending(Span<int> indices, ReadOnlySpan<double> keys)
    {
        for (int i = 1; i < indices.Length; i++)
        {
            int v = indices[i];
            int j = i - 1;
            while (j >= 0 && keys[indices[j]] < keys[v])
            {
                indices[j + 1] = indices[j];
                j--;
            }

            indices[j + 1] = v;
        }
    }

    private readonly record struct Move(int Position, double Mass);
}
