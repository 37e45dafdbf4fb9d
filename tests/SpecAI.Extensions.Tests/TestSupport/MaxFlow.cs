namespace SpecAI.Extensions.Tests.TestSupport;

/// <summary>Dense Edmonds–Karp maximum flow over double capacities (tiny graphs only).</summary>
internal static class MaxFlow
{
    public static double Solve(double[,] capacity, int source, int sink)
    {
        int n = capacity.GetLength(0);
        var residual = (double[,])capacity.Clone();
        double flow = 0;
        var parent = new int[n];
        while (true)
        {
            Array.Fill(parent, -1);
            parent[source] = source;
            var queue = new Queue<int>();
            queue.Enqueue(source);
            while (queue.Count > 0 && parent[sink] < 0)
            {
                int u = queue.Dequeue();
                for (int v = 0; v < n; v++)
                {
                    if (parent[v] < 0 && residual[u, v] > 1e-15)
                    {
                        parent[v] = u;
                        queue.Enqueue(v);
                    }
                }
            }

            if (parent[sink] < 0)
            {
                return flow;
            }

            double push = double.PositiveInfinity;
            for (int v = sink; v != source; v = parent[v])
            {
                push = Math.Min(push, residual[parent[v], v]);
            }

            for (int v = sink; v != source; v = parent[v])
            {
                residual[parent[v], v] -= push;
                residual[v, parent[v]] += push;
            }

            flow += push;
        }
    }
}
